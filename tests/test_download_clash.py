"""Files of different jobs downloaded into one folder never replace each other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eojobs.cli import cli
from eojobs.manifest import MANIFEST, FolderClash
from eojobs.naming import BOOKKEEPING
from tests.conftest import GLASGOW
from tests.test_download import Source, asset, get, part_of

#: A second region, so that the second job's files differ from the first's.
ELSEWHERE = (-3.3, 55.9, -3.1, 56.0)


def run(conn, region):
    return conn.create_job("Elevation", region).start_and_wait(progress=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (the manifest too) and its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def two_jobs(conn):
    return run(conn, GLASGOW), run(conn, ELSEWHERE)


def test_a_second_job_into_the_same_folder_is_refused_and_nothing_is_written(two_jobs,
                                                                             tmp_path):
    first, second = two_jobs
    out = tmp_path / "out"
    assert first.results().download(out, progress=False).ok
    before = snapshot(out)

    with pytest.raises(FolderClash) as caught:
        second.results().download(out, progress=False)

    clash = caught.value
    names = sorted(c.path.name for c in clash.clashes)
    assert names == sorted(p for p in before if p != MANIFEST)
    assert {c.owner for c in clash.clashes} == {first.id}
    assert clash.job_id == second.id and clash.elsewhere == out / second.id
    message = str(clash)
    shown = ", ".join(str(c.path) for c in clash.clashes[:3])
    assert message.startswith(f"{shown} and 1 more are files of job {first.id}, "
                              f"not of job {second.id}; ")
    assert f"into another folder (such as {out / second.id})" in message
    assert "overwrite" in message
    assert clash.exit_code == 2
    assert snapshot(out) == before
    assert sorted(p.name for p in (out / BOOKKEEPING).iterdir()) == ["manifest.json"]


def test_the_suggested_folder_and_overwrite_both_work(two_jobs, tmp_path):
    first, second = two_jobs
    out = tmp_path / "out"
    first.results().download(out, progress=False)
    first_files = snapshot(out)

    beside = second.results().download(out / second.id, progress=False)
    assert beside.ok and len(beside.done) == len(first_files) - 1
    nested = f"{second.id}/"
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(nested)} == first_files
    second_files = {k.removeprefix(nested): v for k, v in snapshot(out).items()
                    if k.startswith(nested)}
    assert second_files[MANIFEST] != first_files[MANIFEST]

    replaced = second.results().download(out, progress=False, overwrite=True)
    assert replaced.ok and len(replaced.done) == len(first_files) - 1
    now = {k: v for k, v in snapshot(out).items() if not k.startswith(nested)}
    assert {k: v for k, v in now.items() if k != MANIFEST} == \
        {k: v for k, v in second_files.items() if k != MANIFEST}
    owners = {e["job"] for e in json.loads(now[MANIFEST]).values()}
    assert owners == {second.id}


def test_the_same_job_again_skips_its_files(two_jobs, tmp_path):
    first, _ = two_jobs
    out = tmp_path / "out"
    first.results().download(out, progress=False)
    before = snapshot(out)
    again = first.results().download(out, progress=False)
    assert again.ok and again.done == [] and len(again.skipped) == len(before) - 1
    assert snapshot(out) == before


def test_a_manifest_without_job_ids_works_as_before(two_jobs, tmp_path):
    first, second = two_jobs
    out = tmp_path / "out"
    first.results().download(out, progress=False)
    manifest = out / MANIFEST
    old = {k: {f: v for f, v in e.items() if f != "job"}
           for k, e in json.loads(manifest.read_text()).items()}
    manifest.write_text(json.dumps(old))

    assert first.results().download(out, progress=False).skipped
    report = second.results().download(out, progress=False)
    assert report.ok and len(report.done) == len(old)
    owners = {e.get("job") for e in json.loads(manifest.read_text()).values()}
    assert owners == {second.id}


def test_a_deleted_file_of_another_job_is_no_clash(two_jobs, tmp_path):
    first, second = two_jobs
    out = tmp_path / "out"
    first.results().download(out, progress=False)
    for path in out.iterdir():
        if path.name != BOOKKEEPING:
            path.unlink()
    assert second.results().download(out, progress=False).ok


def test_another_jobs_part_file_is_not_thrown_away(tmp_path):
    data = {"a.bin": b"a" * (3 * 1024 * 1024)}
    items = [(asset("a.bin", data["a.bin"]), tmp_path / "a.bin")]
    polls = []

    def after_two_polls() -> bool:
        polls.append(1)
        return len(polls) > 2

    first = get(items, Source(data), manifest_dir=tmp_path, job_id="job-a",
                cancel=after_two_polls)
    assert first.cancelled
    part = part_of(tmp_path / "a.bin")
    kept = part.read_bytes()
    assert 0 < len(kept) < len(data["a.bin"])

    theirs = {"a.bin": b"b" * 1000}
    other = [(asset("a.bin", theirs["a.bin"]), tmp_path / "a.bin")]
    with pytest.raises(FolderClash, match=r"a\.bin \(partly downloaded\) is a file of job "
                                          r"job-a, not of job job-b"):
        get(other, Source(theirs), manifest_dir=tmp_path, job_id="job-b")
    assert part.read_bytes() == kept and not (tmp_path / "a.bin").exists()

    resumed = Source(data)
    assert get(items, resumed, manifest_dir=tmp_path, job_id="job-a").ok
    assert resumed.opened == [("a.bin", len(kept))]


def test_the_cli_refuses_with_exit_2_and_names_the_file(two_jobs, tmp_path):
    first, second = two_jobs
    out = tmp_path / "out"
    runner = CliRunner()
    done = runner.invoke(cli, ["--quiet", "download", first.id, "--dir", str(out)])
    assert done.exit_code == 0, done.output
    before = snapshot(out)
    refused = runner.invoke(cli, ["--quiet", "download", second.id, "--dir", str(out)])
    assert refused.exit_code == 2
    assert str(out / "elevation.png") in refused.output
    assert f"are files of job {first.id}, not of job {second.id}" in refused.output
    assert snapshot(out) == before
