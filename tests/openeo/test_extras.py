"""openEO's own commands, added by its plugin: ``eojobs openeo processes`` and ``graph``."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

import eojobs
from eojobs.cli import cli
from tests.conftest import GLASGOW
from tests.openeo.conftest import Account


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_processes_lists_the_back_end_s_predefined_ones_and_searches_them(openeo_env):
    every = json.loads(run("--json", "openeo", "processes").stdout)
    ids = {p["id"] for p in every}
    assert {"load_collection", "ndvi", "save_result"} <= ids
    found = json.loads(run("--json", "openeo", "processes", "NDVI").stdout)
    assert found and all("ndvi" in (p["id"] + str(p.get("summary"))).lower() for p in found)
    assert len(found) < len(every)
    table = run("openeo", "processes", "load_collection").stdout
    assert table.splitlines()[0].split() == ["ID", "SUMMARY", "CATEGORIES"]
    assert "load_collection" in table


def test_graph_prints_the_process_a_job_runs(openeo_env: Account):
    with eojobs.connect("openeo") as conn:
        job = conn.create_job("ndvi", GLASGOW, options={"threshold": 0.25})
        assert conn.backend.process_graph(job.id) == \
            openeo_env.session.get(f"{openeo_env.url}/jobs/{job.id}").json()["process"]
    shown = run("openeo", "graph", job.id[:8])
    assert shown.exit_code == 0, shown.stderr
    graph = json.loads(shown.stdout)["process_graph"]
    [node] = graph.values()
    assert node["process_id"] == "ndvi" and node["arguments"]["threshold"] == 0.25


def test_the_openeo_commands_refuse_another_backend_and_an_unknown_job(openeo_env):
    other = run("-b", "mock", "openeo", "processes")
    assert other.exit_code == 2
    assert "eojobs openeo works on the openeo backend, not 'mock'" in other.stderr
    missing = run("openeo", "graph", "0000000000000000")
    assert missing.exit_code != 0 and missing.stdout == ""
    assert missing.stderr.startswith("error: ")
