from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from eojobs import InputError
from eojobs.download import download_assets, safe_name
from eojobs.models import Asset


def asset(name: str, data: bytes, checksum: bool = True, size: int | None = -1) -> Asset:
    return Asset(name=name, size=len(data) if size == -1 else size, execution_id="e",
                 href=name, checksum=hashlib.sha256(data).hexdigest() if checksum else None)


class Source:
    """Serves bytes by asset name; can break after some bytes."""

    def __init__(self, files: dict[str, bytes], break_after: dict[str, int] | None = None):
        self.files = files
        self.break_after = break_after or {}
        self.opened: list[str] = []

    def __call__(self, a: Asset, offset: int) -> io.BufferedIOBase:
        self.opened.append(a.name)
        data = self.files[a.href][offset:]
        if a.href in self.break_after:
            return Breaking(data, self.break_after[a.href])
        return io.BytesIO(data)


class Breaking(io.BytesIO):
    def __init__(self, data: bytes, limit: int):
        super().__init__(data)
        self.limit = limit

    def read(self, n: int = -1) -> bytes:
        if self.tell() >= self.limit:
            raise OSError("connection reset by peer")
        return super().read(min(n, self.limit - self.tell()))


def files_in(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_downloads_every_file_then_skips_them_the_second_time(tmp_path):
    data = {f"f{i}.bin": bytes([i]) * (100_000 + i) for i in range(10)}
    items = [(asset(n, d), tmp_path / "sub" / n) for n, d in data.items()]
    source = Source(data)
    report = download_assets(items, source, parallel=3, progress=False)
    assert report.ok and len(report.done) == 10 and report.skipped == []
    assert files_in(tmp_path / "sub") == data
    assert report.bytes_written == sum(len(d) for d in data.values())
    again = download_assets(items, Source(data), parallel=3, progress=False)
    assert again.done == [] and len(again.skipped) == 10


def test_a_broken_stream_leaves_no_file_and_no_part(tmp_path):
    data = {"good.bin": b"g" * 5000, "bad.bin": b"b" * 5000}
    items = [(asset(n, d), tmp_path / n) for n, d in data.items()]
    report = download_assets(items, Source(data, {"bad.bin": 1000}), progress=False)
    assert [p.name for p in report.done] == ["good.bin"]
    assert [(p.name, reason) for p, reason in report.failed] == [
        ("bad.bin", "connection reset by peer (" + str(tmp_path / "bad.bin") + ")")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.bin"]


def test_short_body_and_bad_checksum_are_refused(tmp_path):
    data = {"short.bin": b"x" * 10, "corrupt.bin": b"y" * 10}
    items = [
        (asset("short.bin", data["short.bin"], size=20), tmp_path / "short.bin"),
        (Asset(name="corrupt.bin", size=10, execution_id="e", href="corrupt.bin",
               checksum="0" * 64), tmp_path / "corrupt.bin"),
    ]
    report = download_assets(items, Source(data), progress=False)
    reasons = {p.name: r for p, r in report.failed}
    assert reasons == {"short.bin": "got 10 bytes, expected 20",
                       "corrupt.bin": "sha256 checksum does not match"}
    assert list(tmp_path.iterdir()) == []


def test_same_size_different_content_is_not_skipped(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"OLDOLD")
    report = download_assets([(asset("a.bin", b"NEWNEW"), target)],
                             Source({"a.bin": b"NEWNEW"}), progress=False)
    assert "a different file already exists" in report.failed[0][1]
    assert target.read_bytes() == b"OLDOLD"


def test_two_downloads_into_one_folder_do_not_collide(tmp_path):
    import threading

    data = {f"f{i}.bin": bytes([i]) * 300_000 for i in range(8)}
    items = [(asset(n, d), tmp_path / n) for n, d in data.items()]
    reports = []

    def work() -> None:
        reports.append(download_assets(items, Source(data), parallel=4, overwrite=True,
                                       progress=False))

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
    report = download_assets(items, Source({"a.bin": b"theirs!"}), progress=False)
    assert "a different file already exists" in report.failed[0][1]
    assert target.read_bytes() == b"mine"
    report = download_assets(items, Source({"a.bin": b"theirs!"}), overwrite=True,
                             progress=False)
    assert report.done == [target] and target.read_bytes() == b"theirs!"


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "/etc/passwd", "a\\b", "CON", "nul.txt",
                                  "c:evil", "a\x00b"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(InputError, match="unsafe file name"):
        safe_name(name)


def test_parallel_must_be_positive(tmp_path):
    with pytest.raises(InputError, match="parallel must be at least 1"):
        download_assets([], Source({}), parallel=0, progress=False)
