"""The CLI behaves as a shell user expects: options anywhere, quiet pipes, a strict config."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import GLASGOW


def test_global_options_also_work_after_the_command(eojobs):
    job_id = eojobs.json("run", "elevation", "-r", str(GLASGOW))["id"]
    after = eojobs("jobs", "--json")
    assert after.exit_code == 0
    assert [j["id"] for j in json.loads(after.stdout)] == [job_id]
    quiet = eojobs("run", "elevation", "-r", str(GLASGOW), "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    mistaken = eojobs("status", job_id, "-b", "nosuch")
    assert mistaken.exit_code == 2
    assert "no backend named 'nosuch'" in mistaken.stderr


def test_a_global_option_after_a_subcommand_of_a_group(eojobs):
    result = eojobs("mock", "credits", "--json")
    assert result.exit_code == 0
    assert "credits" in json.loads(result.stdout)


def _pipe_into(reader: str, args: list[str], env: dict[str, str]
               ) -> subprocess.CompletedProcess:
    script = (f"{sys.executable} -m eojobs {' '.join(args)} | {reader}; "
              "echo \"exit=${PIPESTATUS[0]}\"")
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          timeout=120)


def test_output_into_a_closed_pipe_ends_quietly_with_exit_0(eojobs, user_dir):
    for _ in range(3):
        job_id = eojobs.json("run", "elevation", "-r", str(GLASGOW))["id"]
    env = {**os.environ, "EOJOBS_HOME": str(user_dir), "EOJOBS_MOCK_SPEED": "100000"}
    # `true` reads nothing and exits before eojobs has started, so every write meets a
    # closed pipe; `head -1` is the everyday case.
    for reader in ("true", "head -1"):
        for args in (["jobs"], ["logs", job_id], ["--json", "jobs"], ["services"]):
            done = _pipe_into(reader, args, env)
            assert done.stdout.splitlines()[-1] == "exit=0", (args, done.stdout, done.stderr)
            assert done.stderr == "", (args, done.stderr)


def test_an_unknown_setting_in_config_is_named_with_a_did_you_mean(eojobs, user_dir):
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "config.toml").write_text("[mock]\nsped = 100\n")
    result = eojobs("services")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {user_dir / 'config.toml'}: unknown setting 'sped' in [mock] (did you mean "
        "'speed'?); its settings are: initial_credits, max_region_vertices, max_slice_km2, "
        "speed")


def test_unknown_tables_are_ignored_and_unknown_top_keys_refused(eojobs, user_dir):
    user_dir.mkdir(parents=True, exist_ok=True)
    config = user_dir / "config.toml"
    config.write_text("[fusoin]\nemail = 'a@b.c'\n")
    env = {**os.environ, "EOJOBS_HOME": str(user_dir)}
    done = subprocess.run([sys.executable, "-m", "eojobs", "services"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0  # a table of a plugin not installed stops nothing
    assert done.stderr == (f"warning: {config}: [fusoin] is not an installed backend (did you "
                           "mean 'fusion'?); it is ignored (installed backends: fusion, "
                           "mock, openeo, stac)\n")
    config.write_text("backnd = 'mock'\n")
    result = eojobs("services")
    assert result.exit_code == 2
    assert "unknown setting 'backnd' (did you mean 'backend'?)" in result.stderr


def test_backend_in_config_sets_the_default_and_flags_beat_it(eojobs, user_dir, monkeypatch):
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "config.toml").write_text('backend = "fusion"\n')
    result = eojobs("services")
    assert result.exit_code == 1
    assert "no credentials for fusion" in result.stderr
    assert eojobs("-b", "mock", "services").exit_code == 0
    assert eojobs("services", "-b", "mock").exit_code == 0
    monkeypatch.setenv("EOJOBS_BACKEND", "mock")
    assert eojobs("services").exit_code == 0


def test_usage_errors_are_one_line_naming_the_help(eojobs):
    cases = [
        (["run", "Vegetation", "Index", "-r", "1,2,3,4"],
         "error: Got unexpected extra argument (Index): quote a service name that has spaces "
         "(\"Vegetation Index\"), and give the region with --region; see 'eojobs run --help'"),
        (["jobs", "--status", "Failed"], "error: Invalid value for '--status': 'Failed' is not "
         "one of 'created', 'scheduled', 'running', 'succeeded', 'failed', 'stopped'; see "
         "'eojobs jobs --help'"),
        (["nosuch"], "error: No such command 'nosuch'; see 'eojobs --help'"),
    ]
    for args, line in cases:
        result = eojobs(*args)
        assert result.exit_code == 2
        assert result.stderr == line + "\n", result.stderr
    assert eojobs.json("jobs") == []
