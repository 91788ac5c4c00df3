from __future__ import annotations

import hashlib
import io
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from eojobs import InputError
from eojobs.bookkeeping import Bookkeeping
from eojobs.download import RetryPolicy, download_assets, safe_name
from eojobs.errors import Fix, RestartDownload
from eojobs.manifest import MANIFEST
from eojobs.models import Asset
from eojobs.naming import BOOKKEEPING


def asset(name: str, data: bytes, checksum: bool = True, size: int | None = -1) -> Asset:
    return Asset(name=name, size=len(data) if size == -1 else size, execution_id="e",
                 href=name, checksum=hashlib.sha256(data).hexdigest() if checksum else None)


FAST = RetryPolicy(attempts=4, backoff=0.0)


class Source:
    """Serves bytes by asset name from an offset; can break at absolute positions."""

    def __init__(self, files: dict[str, bytes], breaks: dict[str, list[int]] | None = None,
                 etags: dict[str, list[str]] | None = None, ignore_range: bool = False):
        self.files = files
        self.breaks = {k: list(v) for k, v in (breaks or {}).items()}
        self.etags = {k: list(v) for k, v in (etags or {}).items()}
        self.ignore_range = ignore_range
        self.opened: list[tuple[str, int]] = []

    def __call__(self, a: Asset, offset: int) -> io.BytesIO:
        self.opened.append((a.name, offset))
        if offset and self.ignore_range:
            raise RestartDownload("range ignored")
        stream = Breaking(self.files[a.href], offset, self.breaks.get(a.href, []))
        tags = self.etags.get(a.href)
        stream.etag = tags.pop(0) if tags else None
        return stream


class Breaking(io.BytesIO):
    """Bytes from ``offset`` that raise a reset at the first break position it reaches."""

    def __init__(self, data: bytes, offset: int, breaks: list[int]):
        super().__init__(data)
        self.seek(offset)
        self.breaks = breaks

    def read(self, n: int = -1) -> bytes:
        ahead = [b for b in self.breaks if b > self.tell()] + [len(self.getvalue())]
        limit = min(ahead)
        if self.breaks and self.tell() in self.breaks:
            self.breaks.remove(self.tell())
            raise OSError("connection reset by peer")
        return super().read(min(n, limit - self.tell()))


def files_in(folder: Path) -> dict[str, bytes]:
    """The outputs below ``folder``: every file but those of the bookkeeping folder."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and BOOKKEEPING not in p.relative_to(folder).parts}


def part_of(dest: Path, root: Path | None = None) -> Path:
    """Where the partial file of ``dest`` is, in the bookkeeping folder of ``root``."""
    return Bookkeeping(root or dest.parent).part(dest)


def bookkeeping_in(folder: Path) -> list[str]:
    """The names in ``folder``'s bookkeeping folder."""
    return sorted(p.name for p in (folder / BOOKKEEPING).iterdir())


def get(items, source, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("retry", FAST)
    return download_assets(items, source, **kwargs)


def test_downloads_every_file_then_skips_them_the_second_time(tmp_path):
    data = {f"f{i}.bin": bytes([i]) * (100_000 + i) for i in range(10)}
    items = [(asset(n, d), tmp_path / "sub" / n) for n, d in data.items()]
    source = Source(data)
    report = get(items, source, parallel=3)
    assert report.ok and len(report.done) == 10 and report.skipped == []
    assert files_in(tmp_path / "sub") == data
    assert report.bytes_written == sum(len(d) for d in data.values())
    again = get(items, Source(data), parallel=3)
    assert again.done == [] and len(again.skipped) == 10


def test_a_broken_stream_is_resumed_from_where_it_stopped(tmp_path):
    data = {"a.bin": bytes(range(256)) * 40}
    source = Source(data, breaks={"a.bin": [3000, 7000]})
    report = get([(asset("a.bin", data["a.bin"]), tmp_path / "a.bin")], source)
    assert report.ok and report.done == [tmp_path / "a.bin"]
    assert source.opened == [("a.bin", 0), ("a.bin", 3000), ("a.bin", 7000)]
    assert files_in(tmp_path) == data
    assert sorted(p.name for p in tmp_path.iterdir()) == [BOOKKEEPING, "a.bin"]
    assert bookkeeping_in(tmp_path) == []


def test_a_failure_keeps_the_part_and_the_next_call_resumes(tmp_path):
    data = {"a.bin": b"x" * 10_000, "b.bin": b"y" * 100}
    items = [(asset(n, d), tmp_path / n) for n, d in data.items()]
    broken = Source(data, breaks={"a.bin": [4000] * 10})
    report = get(items, broken, manifest_dir=tmp_path)
    assert [p.name for p in report.done] == ["b.bin"]
    assert report.failed[0][0].name == "a.bin"
    assert "connection reset by peer" in report.failed[0][1]
    assert not (tmp_path / "a.bin").exists()
    assert part_of(tmp_path / "a.bin").stat().st_size == 4000
    healthy = Source(data)
    again = get(items, healthy, manifest_dir=tmp_path)
    assert again.done == [tmp_path / "a.bin"] and again.skipped == [tmp_path / "b.bin"]
    assert healthy.opened == [("a.bin", 4000)]
    assert files_in(tmp_path) == data
    assert bookkeeping_in(tmp_path) == ["manifest.json"]


def test_a_server_that_ignores_range_restarts_the_file_cleanly(tmp_path):
    data = {"a.bin": bytes(range(200)) * 50}
    source = Source(data, breaks={"a.bin": [2500]}, ignore_range=True)
    report = get([(asset("a.bin", data["a.bin"]), tmp_path / "a.bin")], source)
    assert report.ok
    assert source.opened == [("a.bin", 0), ("a.bin", 2500), ("a.bin", 0)]
    assert files_in(tmp_path) == data


def test_a_file_changed_on_the_server_is_restarted(tmp_path):
    old, new = b"o" * 6000, b"n" * 6000
    item = [(asset("a.bin", old, checksum=False), tmp_path / "a.bin")]
    first = Source({"a.bin": old}, breaks={"a.bin": [3000] * 9}, etags={"a.bin": ['"v1"'] * 9})
    assert not get(item, first).ok
    second = Source({"a.bin": new}, etags={"a.bin": ['"v2"', '"v2"']})
    assert get(item, second).ok
    assert second.opened == [("a.bin", 3000), ("a.bin", 0)]
    assert (tmp_path / "a.bin").read_bytes() == new


def test_cancel_stops_and_keeps_the_part(tmp_path):
    data = {"a.bin": b"z" * (5 * 1024 * 1024)}
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    report = get([(asset("a.bin", data["a.bin"]), tmp_path / "a.bin")], Source(data),
                 cancel=cancel)
    assert report.cancelled and not report.ok and report.done == []
    assert not (tmp_path / "a.bin").exists()
    kept = part_of(tmp_path / "a.bin").stat().st_size
    assert 0 < kept < len(data["a.bin"])
    resumed = Source(data)
    assert get([(asset("a.bin", data["a.bin"]), tmp_path / "a.bin")], resumed).ok
    assert resumed.opened == [("a.bin", kept)]


def test_the_manifest_skips_verified_files_and_refetches_corrupt_ones(tmp_path):
    data = {"a.bin": b"a" * 1000, "b.bin": b"b" * 1000}
    items = [(asset(n, d), tmp_path / n) for n, d in data.items()]
    assert get(items, Source(data), manifest_dir=tmp_path).ok
    assert (tmp_path / MANIFEST).is_file()
    assert files_in(tmp_path) == data
    untouched = Source(data)
    again = get(items, untouched, manifest_dir=tmp_path)
    assert len(again.skipped) == 2 and untouched.opened == []
    (tmp_path / "b.bin").write_bytes(b"X" * 1000)
    repair = Source(data)
    fixed = get(items, repair, manifest_dir=tmp_path)
    assert fixed.done == [tmp_path / "b.bin"] and repair.opened == [("b.bin", 0)]
    assert files_in(tmp_path) == data


def test_short_body_and_bad_checksum_are_refused(tmp_path):
    data = {"short.bin": b"x" * 10, "corrupt.bin": b"y" * 10}
    items = [
        (asset("short.bin", data["short.bin"], size=20), tmp_path / "short.bin"),
        (Asset(name="corrupt.bin", size=10, execution_id="e", href="corrupt.bin",
               checksum="0" * 64), tmp_path / "corrupt.bin"),
    ]
    report = get(items, Source(data))
    reasons = {p.name: r for p, r in report.failed}
    assert reasons == {
        "short.bin": "the connection closed after 10 of 20 bytes",
        "corrupt.bin": "sha256 checksum does not match; the partial file was dropped"}
    assert not (tmp_path / "short.bin").exists() and not (tmp_path / "corrupt.bin").exists()


def test_same_size_different_content_is_not_skipped(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"OLDOLD")
    report = get([(asset("a.bin", b"NEWNEW"), target)], Source({"a.bin": b"NEWNEW"}))
    assert "a different file already exists" in report.failed[0][1]
    assert target.read_bytes() == b"OLDOLD"


def test_two_downloads_into_one_folder_do_not_collide(tmp_path):
    import threading

    data = {f"f{i}.bin": bytes([i]) * 300_000 for i in range(8)}
    items = [(asset(n, d), tmp_path / n) for n, d in data.items()]
    reports = []

    def work() -> None:
        reports.append(get(items, Source(data), parallel=4, overwrite=True))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in reports)
    assert files_in(tmp_path) == data


def test_a_different_existing_file_is_kept_unless_overwrite(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"mine")
    items = [(asset("a.bin", b"theirs!"), target)]
    report = get(items, Source({"a.bin": b"theirs!"}))
    reason = report.failed[0][1]
    assert reason == (f"a different file already exists at {target}; download with "
                      "overwrite=True to replace it")
    assert reason.fixes == (Fix("overwrite", True),)
    assert target.read_bytes() == b"mine"
    report = get(items, Source({"a.bin": b"theirs!"}), overwrite=True)
    assert report.done == [target] and target.read_bytes() == b"theirs!"


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "/etc/passwd", "a\\b", "CON", "nul.txt",
                                  "c:evil", "a\x00b"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(InputError, match="unsafe file name"):
        safe_name(name)


def test_parallel_must_be_positive(tmp_path):
    with pytest.raises(InputError, match="parallel must be at least 1"):
        get([], Source({}), parallel=0)


def test_per_file_bars_do_not_change_what_is_downloaded(tmp_path):
    data = {f"f{i}.bin": bytes([i]) * 50_000 for i in range(6)}
    items = [(asset(n, d), tmp_path / n) for n, d in data.items()]
    report = get(items, Source(data), parallel=2, progress=True, file_bars=True)
    assert report.ok and len(report.done) == 6
    assert files_in(tmp_path) == data


def test_raise_for_failures_names_the_first_failure(tmp_path):
    from eojobs import DownloadError

    data = {"a.bin": b"x" * 10}
    report = get([(asset("a.bin", data["a.bin"], size=20), tmp_path / "a.bin")], Source(data))
    with pytest.raises(DownloadError, match="1 of 1 files failed, first .*a.bin: the connection"):
        report.raise_for_failures()
    ok = get([], Source({}))
    ok.raise_for_failures()


def test_a_write_that_failed_midway_is_rolled_back_before_the_retry(tmp_path, monkeypatch):
    import eojobs.diskio as engine

    data = random_bytes(3 * 1024 * 1024 + 17)
    real = engine.write_at
    failures = []

    def disk_full_once(fd: int, chunk: memoryview, offset: int, *rest: int) -> None:
        if offset >= 1024 * 1024 and not failures:
            failures.append(offset)
            real(fd, chunk[:1000], offset, *rest)
            raise OSError(5, "Input/output error")
        real(fd, chunk, offset, *rest)

    monkeypatch.setattr(engine, "write_at", disk_full_once)
    source = Source({"a.bin": data})
    report = get([(asset("a.bin", data), tmp_path / "a.bin")], source)
    assert report.ok, report.failed
    assert source.opened == [("a.bin", 0), ("a.bin", failures[0])]
    assert (tmp_path / "a.bin").read_bytes() == data


def test_a_full_disk_fails_the_file_at_once_and_keeps_what_arrived(tmp_path, monkeypatch):
    import eojobs.diskio as engine

    data = random_bytes(3 * 1024 * 1024)
    real = engine.write_at

    def full_after_a_mebibyte(fd: int, chunk: memoryview, offset: int, *rest: int) -> None:
        if offset >= 1024 * 1024:
            raise OSError(28, "No space left on device")
        real(fd, chunk, offset, *rest)

    monkeypatch.setattr(engine, "write_at", full_after_a_mebibyte)
    source = Source({"a.bin": data})
    report = get([(asset("a.bin", data), tmp_path / "a.bin")], source)
    assert [reason for _, reason in report.failed] == [
        f"No space left on device ({tmp_path / 'a.bin'})"]
    assert source.opened == [("a.bin", 0)]
    assert part_of(tmp_path / "a.bin").stat().st_size == 1024 * 1024


def test_a_plain_body_is_read_into_the_buffer_and_one_cut_short_is_a_transient_error():
    import socket
    import threading

    import requests

    from eojobs.errors import BackendError
    from eojobs.http import ResponseStream

    body = random_bytes(300_000)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(sent: int) -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: \"v1\"\r\n"
                         b"Connection: close\r\n\r\n" % len(body) + body[:sent])

    got = {}
    for sent in (len(body), 123_456):
        thread = threading.Thread(target=serve, args=(sent,))
        thread.start()
        response = requests.get(f"http://127.0.0.1:{listener.getsockname()[1]}/", stream=True,
                                timeout=10)
        with ResponseStream(response) as stream:
            assert stream.etag == '"v1"'
            buffer, parts = bytearray(100_000), [stream.read(1000)]
            try:
                while n := stream.readinto(buffer):
                    parts.append(bytes(buffer[:n]))
            except BackendError as exc:
                got[sent] = exc
            else:
                got[sent] = b"".join(parts)
        thread.join()
    listener.close()
    assert got[len(body)] == body
    assert isinstance(got[123_456], BackendError) and got[123_456].transient
    assert "broke off" in str(got[123_456])


def random_bytes(n: int) -> bytes:
    import random

    return random.Random(n).randbytes(n)


def test_a_file_not_ready_yet_is_scheduled_and_fetched_by_the_next_call(tmp_path):
    from eojobs.errors import NotReady

    files = {"a.tif": b"A" * 5000, "b.tif": b"B" * 7000}
    ready = Source(files)

    def not_b(a: Asset, offset: int) -> io.BytesIO:
        if a.name == "b.tif":
            raise NotReady("b.tif is still being analysed")
        return ready(a, offset)

    items = [(asset(n, d), tmp_path / n) for n, d in files.items()]
    first = download_assets(items, not_b, retry=FAST, progress=False)
    assert first.done == [tmp_path / "a.tif"] and first.scheduled == [tmp_path / "b.tif"]
    assert first.failed == [] and first.ok
    assert not (tmp_path / "b.tif").exists()
    assert bookkeeping_in(tmp_path) == []
    second = download_assets(items, ready, retry=FAST, progress=False)
    assert second.done == [tmp_path / "b.tif"] and second.skipped == [tmp_path / "a.tif"]
    assert (tmp_path / "b.tif").read_bytes() == files["b.tif"]


def test_a_file_whose_bytes_all_arrived_before_a_cancel_is_finished(tmp_path):
    data = {"a.bin": random_bytes(3000), "b.bin": random_bytes(5 * 1024 * 1024)}
    stopped = []

    class CancelAtTheLastByte(Breaking):
        """Asks to cancel as it hands over the last bytes of a.bin, before the end is read."""

        def read(self, n: int = -1) -> bytes:
            piece = super().read(min(n, 1000))
            if self.getvalue() == data["a.bin"] and self.tell() == len(data["a.bin"]):
                stopped.append(True)
            return piece

    def source(a: Asset, offset: int) -> io.BytesIO:
        return CancelAtTheLastByte(data[a.href], offset, [])

    items = [(asset(n, d), tmp_path / n) for n, d in data.items()]
    report = get(items, source, parallel=1, manifest_dir=tmp_path, cancel=lambda: bool(stopped))
    assert report.cancelled and report.done == [tmp_path / "a.bin"]
    assert (tmp_path / "a.bin").read_bytes() == data["a.bin"]
    assert not part_of(tmp_path / "a.bin").exists() and not (tmp_path / "b.bin").exists()
    again = get(items, Source(data), manifest_dir=tmp_path)
    assert again.skipped == [tmp_path / "a.bin"] and again.done == [tmp_path / "b.bin"]


@contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """One connection on 127.0.0.1, answered by ``answer`` byte by byte; yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            answer(conn)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        thread.join()
        listener.close()


def sent_in_two(body: bytes, first_part_read: threading.Event,
                cut_at: int | None = None) -> Callable[[socket.socket], None]:
    """An answer of ``body`` whose first 1000 bytes come alone, the rest (or up to ``cut_at``)
    only once ``first_part_read`` is set: a reader that waited to fill its buffer would wait
    until the event's guard gives up."""
    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                     % len(body) + body[:1000])
        first_part_read.wait(timeout=30)
        conn.sendall(body[1000:cut_at])
    return answer


def test_a_slow_body_is_handed_over_as_it_arrives():
    from eojobs.http import ResponseStream

    body = random_bytes(50_000)
    first_part_read = threading.Event()
    got = bytearray()
    with raw_server(sent_in_two(body, first_part_read)) as url:
        with ResponseStream(requests.get(url, stream=True, timeout=10)) as stream:
            got += stream.read1(1 << 20)
            assert 0 < len(got) <= 1000
            first_part_read.set()
            while piece := stream.read1(1 << 20):
                got += piece
    assert bytes(got) == body


def test_readinto1_hands_over_what_arrived_and_a_body_cut_short_is_a_transient_error():
    from eojobs.errors import BackendError
    from eojobs.http import ResponseStream

    body = random_bytes(200_000)
    first_part_read = threading.Event()
    results = {}
    for cut in (False, True):
        first_part_read.clear()
        answer = sent_in_two(body, first_part_read, 150_000 if cut else None)
        with raw_server(answer) as url:
            got, buffer = bytearray(), memoryview(bytearray(1 << 20))
            with ResponseStream(requests.get(url, stream=True, timeout=10)) as stream:
                n = stream.readinto1(buffer)
                assert 0 < n <= 1000
                got += buffer[:n]
                first_part_read.set()
                try:
                    while n := stream.readinto1(buffer):
                        got += buffer[:n]
                except BackendError as exc:
                    results[cut] = exc
                else:
                    results[cut] = bytes(got)
                if not cut:
                    # The end stays the end, whatever the buffer's size.
                    assert stream.readinto1(buffer) == 0
    assert results[False] == body
    assert isinstance(results[True], BackendError) and results[True].transient


def test_readinto1_of_a_chunked_body_goes_through_http_client():
    from eojobs.http import ResponseStream

    pieces = [random_bytes(70_000), random_bytes(5), random_bytes(300_000)]

    def answer(conn: socket.socket) -> None:
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     b"Connection: close\r\n\r\n" + chunks + b"0\r\n\r\n")

    got, buffer = bytearray(), bytearray(1 << 20)
    with raw_server(answer) as url:
        with ResponseStream(requests.get(url, stream=True, timeout=10)) as stream:
            assert stream.length is None
            while n := stream.readinto1(buffer):
                got += buffer[:n]
    assert bytes(got) == b"".join(pieces)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fallocate is Linux's")
def test_reserving_a_files_blocks_keeps_its_size_for_a_resume(tmp_path):
    import eojobs.diskio as engine

    path = tmp_path / "a.part"
    path.write_bytes(b"x" * 1000)
    # A file that cannot be reserved (here: opened to read only) says so, without raising.
    fd = os.open(path, os.O_RDONLY)
    try:
        assert engine.reserve(fd, 1000, 8 << 20) is False
    finally:
        os.close(fd)
    with open(path, "r+b") as handle:
        if not engine.reserve(handle.fileno(), 1000, 8 << 20):
            pytest.skip("this file system cannot reserve blocks")
        assert os.fstat(handle.fileno()).st_size == 1000
        assert os.fstat(handle.fileno()).st_blocks * 512 >= 8 << 20


def test_a_users_file_is_not_taken_for_an_output_nothing_can_be_compared_with(tmp_path):
    data = b"served bytes"
    mine = tmp_path / "a.bin"
    mine.write_bytes(b"the user's own file")
    report = get([(asset("a.bin", data, checksum=False, size=None), mine)], Source({"a.bin": data}),
                 manifest_dir=tmp_path, job_id="job-a")
    assert report.skipped == [] and report.done == []
    [(path, reason)] = report.failed
    assert path == mine and "already exists" in reason
    assert mine.read_bytes() == b"the user's own file"


def test_without_a_checksum_an_unchanged_output_is_skipped_without_hashing(tmp_path):
    data = b"x" * 300_000
    item = (asset("a.bin", data, checksum=False), tmp_path / "a.bin")
    assert get([item], Source({"a.bin": data}), manifest_dir=tmp_path, job_id="j").done
    again = Source({"a.bin": data})
    assert get([item], again, manifest_dir=tmp_path, job_id="j").skipped == [tmp_path / "a.bin"]
    assert again.opened == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fallocate is Linux's")
def test_a_declared_size_reserves_the_disk_only_a_window_ahead_of_the_writes(tmp_path):
    from eojobs import diskio

    path = tmp_path / "a.part"
    path.write_bytes(b"")
    with open(path, "r+b") as handle:
        fd = handle.fileno()
        reservation = diskio.Reservation(fd, 0, 1 << 40)  # a server claims a terabyte
        if not reservation.active:
            pytest.skip("this file system cannot reserve blocks")
        allocated = os.fstat(fd).st_blocks * 512
        assert diskio.RESERVE_WINDOW <= allocated < 2 * diskio.RESERVE_WINDOW
        reservation.ahead_of(diskio.RESERVE_WINDOW // 4)
        assert os.fstat(fd).st_blocks * 512 == allocated  # not yet near the end
        reservation.ahead_of(diskio.RESERVE_WINDOW // 2 + 1)
        assert os.fstat(fd).st_blocks * 512 >= allocated + diskio.RESERVE_WINDOW
        assert os.fstat(fd).st_size == 0


def test_two_files_of_one_download_with_the_same_path_are_not_both_written(tmp_path):
    first, second = b"first", b"second"
    report = get([(asset("a.bin", first), tmp_path / "a.bin"),
                  (asset("b.bin", second), tmp_path / "a.bin")],
                 Source({"a.bin": first, "b.bin": second}), manifest_dir=tmp_path)
    assert report.done == [tmp_path / "a.bin"]
    assert report.failed == [(tmp_path / "a.bin", "b.bin has the same path as another file of "
                                                  "the download; it was not written")]
    assert (tmp_path / "a.bin").read_bytes() == first


def test_a_manifest_that_cannot_be_written_leaves_no_temporary_files(tmp_path):
    (tmp_path / MANIFEST).mkdir(parents=True)  # a folder where the manifest file goes
    data = b"x" * 1000
    report = get([(asset(n, data), tmp_path / n) for n in ("a.bin", "b.bin")],
                 Source({"a.bin": data, "b.bin": data}), manifest_dir=tmp_path)
    assert report.failed  # the files arrived, but could not be recorded
    assert [p.name for p in (tmp_path / BOOKKEEPING).iterdir()] == ["manifest.json"]
