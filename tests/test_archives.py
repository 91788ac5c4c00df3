from __future__ import annotations

import os
import zipfile

import pytest

from eojobs import InputError
from eojobs.archives import extract_zip


def make(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_plain_archive_is_extracted(tmp_path):
    archive = make(tmp_path / "a.zip", {"x.txt": "one", "sub/y.txt": "two"})
    files = extract_zip(archive, tmp_path / "a")
    assert sorted(p.relative_to(tmp_path / "a").as_posix() for p in files) == ["sub/y.txt",
                                                                               "x.txt"]
    assert (tmp_path / "a" / "sub" / "y.txt").read_text() == "two"


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt",
                                  "c:evil.txt", "..\\evil.txt"])
def test_zip_slip_is_refused_and_nothing_is_written(tmp_path, name):
    archive = make(tmp_path / "bad.zip", {"fine.txt": "ok", name: "evil"})
    target = tmp_path / "out" / "bad"
    with pytest.raises(InputError, match="would land outside"):
        extract_zip(archive, target)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "evil.txt").exists()
    assert not target.exists() or not any(target.rglob("*"))


def test_zip_bombs_and_oversized_archives_are_refused(tmp_path):
    bomb = make(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * (20 << 20)})
    with pytest.raises(InputError, match="likely zip bomb"):
        extract_zip(bomb, tmp_path / "bomb")
    big = make(tmp_path / "big.zip", {"a.bin": b"a" * 1000})
    with pytest.raises(InputError, match="would expand to 1,000 bytes, more than 100"):
        extract_zip(big, tmp_path / "big", max_bytes=100)
    assert not (tmp_path / "bomb").exists() and not (tmp_path / "big").exists()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    fake = tmp_path / "fake.zip"
    fake.write_text("not a zip")
    with pytest.raises(InputError, match="is not a readable ZIP archive"):
        extract_zip(fake, tmp_path / "fake")


def test_a_damaged_member_stops_extraction_and_leaves_nothing(tmp_path):
    archive = tmp_path / "out.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("first.txt", b"fine" * 1000)
        zf.writestr("second.txt", os.urandom(100_000))
    data = bytearray(archive.read_bytes())
    info = zipfile.ZipFile(archive).getinfo("second.txt")
    body = info.header_offset + 30 + len("second.txt") + 10
    data[body:body + 20] = bytes(20)
    archive.write_bytes(bytes(data))
    target = tmp_path / "out"
    with pytest.raises(InputError, match=r"out.zip: second.txt cannot be read"):
        extract_zip(archive, target)
    assert [p for p in target.rglob("*") if p.is_file()] == []
