"""Commands on jobs behave as a newcomer expects: delete asks, stop tells, hints paste."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.cli.conftest import on_terminal
from tests.conftest import GLASGOW, TWINS

ELEVATION = ["elevation", "-r", str(GLASGOW)]


def created(eojobs, *extra: str) -> str:
    return eojobs.json("create", *ELEVATION, *extra)["id"]


def test_delete_asks_on_a_terminal_and_no_keeps_the_job(eojobs):
    job_id = created(eojobs)
    code, err = on_terminal(["delete", job_id], "n\n")
    assert code == 1
    assert f"  job {job_id} (Elevation, created)\n" in err
    assert "Delete this job and all its outputs? [y/N]" in err
    assert err.endswith("nothing deleted\n")
    assert eojobs.json("status", job_id)["id"] == job_id


def test_delete_yes_on_a_terminal_says_what_was_deleted(eojobs, monkeypatch):
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "1")
    job_id = eojobs.json("run", *ELEVATION, "--no-wait")["id"]
    code, err = on_terminal(["delete", job_id[:6]], "y\n")
    assert code == 0, err
    assert re.search(rf"\[y/N\]: deleted job {job_id} \(Elevation, running \d+%\)\n$", err), err
    assert eojobs("status", job_id).exit_code == 2


def test_delete_with_yes_does_not_ask_and_takes_several(eojobs):
    first, second = created(eojobs), created(eojobs)
    code, err = on_terminal(["delete", first, second, "--yes"], "")
    assert code == 0 and "[y/N]" not in err, err
    assert err.splitlines() == [f"deleted job {first} (Elevation, created)",
                                f"deleted job {second} (Elevation, created)"]
    assert eojobs.json("jobs") == []


def test_delete_refuses_short_and_ambiguous_prefixes_and_deletes_nothing(eojobs, chosen_ids):
    chosen_ids(TWINS)
    ids = [created(eojobs) for _ in TWINS]
    assert ids == TWINS
    short = eojobs("delete", ids[0][:3], "--yes")
    assert short.exit_code == 2
    assert short.stderr.strip() == (
        f"error: give at least 4 characters of a job id; {ids[0][:3]!r} is too short")
    ambiguous = eojobs("delete", "abcd", "--yes")
    assert ambiguous.exit_code == 2 and f"matches {len(TWINS)} jobs" in ambiguous.stderr
    assert len(eojobs.json("jobs")) == len(TWINS)


def test_stop_on_a_finished_job_says_it_had_already_ended(eojobs):
    job_id = eojobs.json("run", *ELEVATION)["id"]
    result = eojobs("stop", job_id)
    assert result.exit_code == 0
    assert result.stderr.strip() == f"job {job_id} had already ended (succeeded); nothing to stop"


def test_stop_on_a_running_job_says_it_stopped_it(eojobs, monkeypatch):
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "1")
    job_id = eojobs.json("run", *ELEVATION, "--no-wait")["id"]
    result = eojobs("stop", job_id)
    assert result.exit_code == 0
    assert result.stderr.strip() == f"stopped job {job_id}"


def test_hints_on_fusion_name_the_backend(eojobs, fusion_env, monkeypatch):
    result = eojobs("-b", "fusion", "run", *ELEVATION, "--no-wait")
    assert result.exit_code == 0, result.stderr
    job_id = result.stdout.strip()
    assert f"started; follow it with: eojobs -b fusion wait {job_id}" in result.stderr
    created_only = eojobs("create", *ELEVATION, "-b", "fusion")
    new_id = created_only.stdout.strip()
    assert f"until you start it: eojobs -b fusion start {new_id}" in created_only.stderr
    waited = eojobs("wait", new_id, "-b", "fusion")
    assert waited.exit_code == 1
    assert waited.stderr.strip() == (f"error: job {new_id} has not been started; start it "
                                     f"with: eojobs -b fusion start {new_id}")


def test_hints_on_the_default_mock_do_not_need_the_backend(eojobs, user_dir):
    job_id = created(eojobs)
    assert f"start it with: eojobs start {job_id}" in eojobs("wait", job_id).stderr
    results = eojobs("results", job_id)
    assert results.stderr.strip() == (f"error: job {job_id} has not been started, so it has no "
                                      f"results; start it with: eojobs start {job_id}")
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "config.toml").write_text('backend = "fusion"\n')
    result = eojobs("-b", "mock", "wait", job_id)
    assert f"start it with: eojobs -b mock start {job_id}" in result.stderr


def test_a_timeout_names_the_command_to_wait_again(eojobs, fusion_env):
    fusion_env.state.platform.speed = 1.0  # the job runs for seconds, not microseconds
    job_id = eojobs("run", *ELEVATION, "--no-wait", "-b", "fusion").stdout.strip()
    result = eojobs("-b", "fusion", "wait", job_id, "--timeout", "0")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(f"wait again with: eojobs -b fusion wait {job_id}")


def test_a_scheduled_run_returns_once_armed_and_says_when_it_is_due(eojobs):
    due = datetime.now(timezone.utc) + timedelta(days=3)
    result = eojobs("run", *ELEVATION, "--start-at", due.isoformat(timespec="minutes"))
    assert result.exit_code == 0, result.stderr
    job_id = result.stdout.strip()
    local = due.astimezone()
    assert (f"job {job_id} is scheduled: its first run is due at "
            f"{local:%Y-%m-%d %H:%M} {local.tzname()}") in result.stderr
    assert eojobs.json("status", job_id)["status"] == "scheduled"


def test_a_scheduled_run_with_download_asks_for_wait_before_creating(eojobs, tmp_path):
    due = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat(timespec="minutes")
    result = eojobs("run", *ELEVATION, "--start-at", due, "--download", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "--download needs --wait to stay until it has run" in result.stderr
    assert eojobs.json("jobs") == [] and not (tmp_path / "o").exists()


def test_a_scheduled_run_with_wait_waits(eojobs):
    due = (datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat()
    data = eojobs.json("run", *ELEVATION, "--start-at", due, "--wait")
    assert data["status"] == "succeeded"


def test_jobs_fits_100_columns_with_short_ids_and_local_times(eojobs):
    for _ in range(3):
        eojobs("create", *ELEVATION, "--name", "a rather long name for a job " * 3)
    lines = eojobs("jobs").stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "SERVICE", "STATUS", "PROGRESS", "PRICE",
                                "CREATED"]
    assert all(len(line) <= 100 for line in lines), lines
    ids = [line.split()[0] for line in lines[1:]]
    assert all(len(i) >= 8 for i in ids) and len(set(ids)) == 3
    zone = datetime.now().astimezone().tzname()
    assert all(line.endswith(f" {zone}") for line in lines[1:])
    assert "…" in lines[1]


def test_jobs_filters(eojobs):
    first = eojobs.json("run", *ELEVATION)["id"]
    second = created(eojobs)
    third = eojobs.json("create", "vegetation", "-r", str(GLASGOW),
                        "-o", "start_date=2024-01-01", "-o", "end_date=2024-02-01")["id"]
    ids = lambda *args: [j["id"] for j in eojobs.json("jobs", *args)]  # noqa: E731
    assert ids() == [third, second, first]
    assert ids("--status", "created") == [third, second]
    assert ids("--status", "succeeded", "--status", "created", "--limit", "2") == [third, second]
    assert ids("--service", "Elevation") == [second, first]
    assert ids("--since", "2999-01-01") == []
    bad = eojobs("jobs", "--status", "done")
    assert bad.exit_code == 2 and "'done' is not one of" in bad.stderr


def test_credits_in_json_carry_only_their_precision(eojobs):
    eojobs("mock", "credits", "--set", "5000")
    for _ in range(3):
        eojobs("run", *ELEVATION, "-o", "resolution=20")
    value = eojobs.json("credits")["credits"]
    assert value == round(value, 2)
    text = eojobs("--json", "credits").stdout
    assert re.fullmatch(r'\{\n  "credits": \d+(\.\d{1,2})?\n\}\n', text), text


def test_files_that_could_not_be_checked_are_named(eojobs, unsized_backend, tmp_path):
    out = tmp_path / "out"
    result = eojobs("-b", "unsized", "run", *ELEVATION, "--download", str(out))
    assert result.exit_code == 0, result.stderr
    assert ("4 files could not be checked, as the server gave no size or checksum for them: "
            in result.stderr)
    data = eojobs.json("-b", "unsized", "download", result.stdout.strip(), "--dir",
                       str(tmp_path / "again"))
    assert len(data["unverified"]) == 4


def test_delete_off_a_terminal_needs_yes_and_deletes_nothing_without(eojobs):
    job_id = created(eojobs)
    result = eojobs("delete", job_id)
    assert result.exit_code == 2
    assert result.stderr == ("error: stdin is not a terminal, so eojobs cannot ask: pass --yes "
                             "to delete without asking; see 'eojobs delete --help'\n")
    assert eojobs.json("status", job_id)["status"] == "created"


@pytest.mark.parametrize(("flags", "message"), [
    (["--repeat-every", "1d"], "--repeat-every needs --repeat-count above 1"),
    (["--start-at", "2020-01-01T06:00Z"], "--start-at 2020-01-01T06:00:00+00:00 is in the past"),
])
def test_schedule_flags_that_would_be_ignored_are_refused(eojobs, flags, message):
    result = eojobs("run", *ELEVATION, *flags)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert eojobs.json("jobs") == []


def test_names_and_messages_never_reach_the_terminal_raw(eojobs):
    evil = "evil\x1b]0;title\x07\u202e"
    job_id = eojobs.json("create", *ELEVATION, "--name", evil)["id"]
    for args in (["jobs"], ["status", job_id]):
        shown = eojobs(*args)
        assert shown.exit_code == 0
        assert "\x1b" not in shown.output and "\u202e" not in shown.output
        assert "evil\\x1b]0;title\\x07\\u202e" in shown.output


def test_results_stac_prints_json_and_refuses_a_dir_without_it_or_that_is_no_folder(
        eojobs, tmp_path):
    job_id = eojobs.json("run", *ELEVATION, "--download", str(tmp_path / "out"))["id"]
    printed = eojobs("results", job_id, "--stac", "--dir", str(tmp_path / "out"))
    assert printed.exit_code == 0, printed.stderr
    hrefs = [i["assets"]["data"]["href"] for i in json.loads(printed.stdout)["features"]]
    assert sorted(Path(h).name for h in hrefs) == sorted(
        p.name for p in (tmp_path / "out").iterdir() if p.is_file())

    alone = eojobs("results", job_id, "--dir", str(tmp_path / "out"))
    assert alone.exit_code == 2
    assert "--dir goes with --stac" in alone.stderr
    missing = eojobs("results", job_id, "--stac", "--dir", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert "nowhere is not a folder" in missing.stderr
    assert missing.stdout == "" and not (tmp_path / "nowhere").exists()


def test_a_file_system_error_shows_control_characters_escaped(eojobs, tmp_path, monkeypatch):
    job_id = eojobs.json("run", *ELEVATION)["id"]
    (tmp_path / "afile").write_text("x")
    monkeypatch.chdir(tmp_path)
    done = eojobs("download", job_id, "--dir", "afile/\x1b]0;pwned\x07")
    assert done.exit_code == 1
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert done.stderr.startswith("error: Not a directory: afile/")
