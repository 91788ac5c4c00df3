"""Hostile file names: outputs that share a name, mimic eojobs' bookkeeping, hold control
characters or are very long, served by a backend plugin registered for the test."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

import eojobs
from eojobs import hookimpl
from eojobs.bookkeeping import Bookkeeping
from eojobs.cli import cli
from eojobs.manifest import MANIFEST
from eojobs.models import Asset
from eojobs.naming import BOOKKEEPING, LEGACY_MANIFEST, printable, safe_name
from eojobs_mock.backend import MockBackend
from tests.conftest import FAST, GLASGOW, plugins_with
from tests.test_download import files_in


class NamingBackend(MockBackend):
    """The mock, but the platform names its output files as the test says."""

    name = "names"
    #: The new name of the output at each index, in the order of their hrefs.
    renames: ClassVar[dict[int, str]] = {}
    #: Whether to list the outputs in the opposite order.
    backwards: ClassVar[bool] = False
    #: Each (name, offset) a download opened.
    opened: ClassVar[list[tuple[str, int]]] = []

    def list_assets(self, job_id: str) -> list[Asset]:
        assets = sorted(super().list_assets(job_id), key=lambda a: a.href)
        renamed = [a.model_copy(update={"name": self.renames.get(i, a.name)})
                   for i, a in enumerate(assets)]
        return renamed[::-1] if self.backwards else renamed

    def open_asset(self, asset: Asset, offset: int = 0):
        self.opened.append((asset.name, offset))
        return super().open_asset(asset, offset)


class _Plugin:
    @hookimpl
    def register_backends(self, register) -> None:
        register(NamingBackend)


@pytest.fixture
def names(monkeypatch):
    """The ``names`` backend, registered for the test; set ``renames`` before listing."""
    for backend in ("NAMES", "SWAPPING"):
        monkeypatch.setenv(f"EOJOBS_{backend}_SPEED", FAST)
    NamingBackend.renames, NamingBackend.backwards, NamingBackend.opened = {}, False, []
    with plugins_with(("names-test", _Plugin())), eojobs.connect("names") as conn:
        yield conn


@pytest.fixture
def job(names):
    return names.create_job("Elevation", GLASGOW).start_and_wait(progress=False)


def served(job) -> list[bytes]:
    """The bytes of the job's outputs, in the order ``renames`` counts them."""
    return [Path(a.href).read_bytes() for a in sorted(job.results().assets,
                                                       key=lambda a: a.href)]


def bookkeeping(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / BOOKKEEPING).iterdir())


def cli_run(*args: str):
    return CliRunner().invoke(cli, ["-b", "names", *args], catch_exceptions=False)


def test_outputs_of_one_name_are_both_kept_under_names_stable_across_runs(job, tmp_path):
    data = served(job)
    assert len(data) >= 3 and len(set(data)) == len(data)
    NamingBackend.renames = {0: "scene.tif", 1: "scene.tif", 2: "scene (2).tif"}
    out = tmp_path / "out"

    report = job.results().download(out, progress=False)

    assert report.ok
    files = files_in(out)
    assert files["scene.tif"] == data[0]
    assert files["scene (3).tif"] == data[1]
    assert files["scene (2).tif"] == data[2]
    assert len(files) == len(data) == len(report.done)
    assert all(p.is_file() for p in report.done)

    NamingBackend.backwards = True
    NamingBackend.opened = []
    again = job.results().download(out, progress=False)
    assert again.ok and again.done == [] and sorted(again.skipped) == sorted(report.done)
    assert NamingBackend.opened == [] and files_in(out) == files


@pytest.mark.parametrize("suffix", [".part", ".part.json", ".part.json.1.2.tmp"])
def test_outputs_named_like_the_old_bookkeeping_get_their_own_bytes(job, tmp_path, suffix):
    data = served(job)
    NamingBackend.renames = {0: "x.tif", 1: "x.tif" + suffix}
    out = tmp_path / "out"

    report = job.results().download(out, progress=False)

    assert report.ok, report.failed
    files = files_in(out)
    assert files["x.tif"] == data[0] and files["x.tif" + suffix] == data[1]
    assert bookkeeping(out) == ["manifest.json"]
    assert job.results().download(out, progress=False).done == []
    assert files_in(out) == files


@pytest.mark.parametrize("name", [BOOKKEEPING, LEGACY_MANIFEST, ".EOJOBS"])
def test_an_output_named_like_the_bookkeeping_is_refused_and_the_rest_arrive(job, tmp_path,
                                                                             name):
    data = served(job)
    NamingBackend.renames = {0: name}
    out = tmp_path / "out"

    report = job.results().download(out, progress=False)

    assert [(p, r) for p, r in report.failed] == [
        (out / "(unsafe name 1)", f"refusing unsafe file name from the backend: '{name}' "
                                  "(eojobs keeps its own bookkeeping under that name)")]
    assert len(report.done) == len(data) - 1
    assert sorted(files_in(out).values()) == sorted(data[1:])
    assert bookkeeping(out) == ["manifest.json"]


EVIL = {
    0: "title\x1b]0;pwned\x07.tif",
    1: "two\nlines.tif",
    2: "\u202egnp.exe",
}


def test_names_with_control_characters_are_refused_on_disk_and_escaped_on_screen(job,
                                                                                 tmp_path):
    data = served(job)
    NamingBackend.renames = dict(EVIL)
    out = tmp_path / "out"

    listed = cli_run("results", job.id)
    assert listed.exit_code == 0, listed.output
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert "\u202e" not in listed.stdout and "two\nlines" not in listed.stdout
    assert "title\\x1b]0;pwned\\x07.tif (unsafe name)" in listed.stdout
    assert "two\\nlines.tif (unsafe name)" in listed.stdout
    assert "\\u202egnp.exe (unsafe name)" in listed.stdout

    loaded = cli_run("download", job.id, "--dir", str(out))
    assert loaded.exit_code == 1
    shown = loaded.stdout + loaded.stderr
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    for number, name in enumerate(EVIL.values(), start=1):
        assert f"failed: {out}/(unsafe name {number}): refusing unsafe file name from the " \
               f"backend: '{printable(name)}' (it holds control characters)" in loaded.stderr
    assert "3 files failed" in loaded.stderr
    assert sorted(files_in(out).values()) == sorted(data[3:])
    assert bookkeeping(out) == ["manifest.json"]


def test_the_json_listing_gives_the_unsafe_name_and_no_path(job):
    NamingBackend.renames = {0: EVIL[0]}
    listed = cli_run("--json", "results", job.id)
    assert listed.exit_code == 0
    assert "\x1b" not in listed.stdout
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows[EVIL[0]]["path"] is None
    assert "control characters" in rows[EVIL[0]]["unsafe"]


@pytest.mark.parametrize("length", [216, 250, 255])
def test_a_name_up_to_255_bytes_downloads_and_leaves_no_partial_file(job, tmp_path, length):
    data = served(job)
    long_name = "é" * ((length - 4) // 2) + "x" * ((length - 4) % 2) + ".tif"
    assert len(long_name.encode()) == length
    NamingBackend.renames = {0: long_name}
    out = tmp_path / "out"

    report = job.results().download(out, progress=False)

    assert report.ok, report.failed
    assert (out / long_name).read_bytes() == data[0]
    assert bookkeeping(out) == ["manifest.json"]


def test_a_name_over_255_bytes_is_refused_before_it_reaches_the_disk(job, tmp_path):
    NamingBackend.renames = {0: "a" * 252 + ".tif"}
    report = job.results().download(tmp_path / "out", progress=False)
    assert [r for _, r in report.failed] == [
        f"refusing unsafe file name from the backend: '{'a' * 252}.tif' "
        f"(longer than 255 bytes)"]
    assert len(report.done) == len(served(job)) - 1


def test_a_download_left_by_the_previous_version_is_resumed(job, tmp_path):
    data = served(job)
    out = tmp_path / "out"
    assert job.results().download(out, progress=False).ok
    names = sorted(files_in(out))
    # What the previous version left after an interrupted download: the manifest beside
    # the files, and a partial file with its description beside the unfinished one.
    manifest = json.loads((out / MANIFEST).read_text())
    result = job.results()
    first = sorted(result.assets, key=lambda a: a.href)[0]
    unfinished = result.relative_path(first).as_posix()
    del manifest[unfinished]
    (out / LEGACY_MANIFEST).write_text(json.dumps(manifest))
    whole = (out / unfinished).read_bytes()
    (out / unfinished).unlink()
    (out / f"{unfinished}.part").write_bytes(whole[:1000])
    (out / f"{unfinished}.part.json").write_text(json.dumps(
        {"size": first.size, "checksum": first.checksum, "etag": None, "job": job.id}))
    for path in (out / BOOKKEEPING).iterdir():
        path.unlink()
    (out / BOOKKEEPING).rmdir()
    NamingBackend.opened = []

    report = job.results().download(out, progress=False)

    assert report.ok and report.done == [out / unfinished]
    assert NamingBackend.opened == [(first.name, 1000)]
    assert sorted(files_in(out)) == names and (out / unfinished).read_bytes() == data[0]
    assert not (out / LEGACY_MANIFEST).exists()
    assert bookkeeping(out) == ["manifest.json"]
    assert sorted(json.loads((out / MANIFEST).read_text())) == names


def test_an_old_partial_file_of_another_asset_is_left_alone(job, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    first = sorted(job.results().assets, key=lambda a: a.href)[0]
    (out / f"{first.name}.part").write_bytes(b"not it")
    (out / f"{first.name}.part.json").write_text(json.dumps(
        {"size": 6, "checksum": None, "etag": None}))
    NamingBackend.opened = []

    report = job.results().download(out, progress=False)

    assert report.ok and (first.name, 0) in NamingBackend.opened
    assert (out / f"{first.name}.part").read_bytes() == b"not it"
    assert (out / first.name).read_bytes() == Path(first.href).read_bytes()


class SwappingBackend(NamingBackend):
    """Replaces the partial file of the first output by another file while sending it."""

    name = "swapping"
    target: ClassVar[Path] = Path()

    def open_asset(self, asset: Asset, offset: int = 0):
        stream = super().open_asset(asset, offset)
        dest = self.target / asset.name
        part = Bookkeeping(self.target).part(dest)
        if asset.name == "swapped.tif" and part.exists():
            other = part.with_name("planted")
            other.write_bytes(b"planted bytes")
            os.replace(other, part)
        return stream


def test_only_the_file_that_was_written_and_checked_is_renamed(names, tmp_path):
    class Plugin:
        @hookimpl
        def register_backends(self, register) -> None:
            register(SwappingBackend)

    with plugins_with(("swapping-test", Plugin())), eojobs.connect("swapping") as conn:
        job = conn.create_job("Elevation", GLASGOW).start_and_wait(progress=False)
        SwappingBackend.renames = {0: "swapped.tif"}
        SwappingBackend.target = tmp_path / "out"
        report = job.results().download(tmp_path / "out", progress=False)

    dest = tmp_path / "out" / "swapped.tif"
    assert report.failed == [(dest, f"the partial file of {dest} was replaced while it was "
                                    "written; nothing was renamed, download again")]
    assert not dest.exists()
    assert len(report.done) == len(served(job)) - 1


@pytest.mark.parametrize("name", ["plain.tif", "é.tif", "name with spaces (2).tif",
                                  "\u200dzwj.tif"])
def test_ordinary_names_stay_as_they_are(name):
    assert safe_name(name) == name
    assert printable("plain.tif") == "plain.tif"


def test_a_refused_name_is_reported_under_a_path_inside_the_folder(job, tmp_path):
    served(job)
    NamingBackend.renames = {0: "../evil.tif", 1: "/etc/evil.tif"}
    out = tmp_path / "out"
    report = job.results().download(out, progress=False)
    assert [p for p, _ in report.failed] == [out / "(unsafe name 1)", out / "(unsafe name 2)"]
    written = job.results().write_stac(out)  # the safe files get their items all the same
    assert len(written) == len(job.results().assets) - 2 + 1
    assert not (tmp_path / "evil.tif").exists()
