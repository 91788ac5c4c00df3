"""The STAC backend through the CLI: search, run, results, providers, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cli.conftest import Runner
from tests.conftest import GLASGOW
from tests.stac.conftest import S2, payload, tree

SECRET = "sk-test-4f9a8b7c6d5e"


@pytest.fixture
def eojobs() -> Runner:
    return Runner()


def test_search_lists_scenes_without_downloading(eojobs, stac):
    done = eojobs("-b", "stac", "search", S2, "-r", str(GLASGOW), "-o",
                  "start_date=2024-05-01T00:00:00Z", "-o", "end_date=2024-05-04T00:00:00Z",
                  "-o", "max_cloud=5")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["ID", "DATE", "CLOUD", "ASSETS", "SIZE"]
    assert [line.split()[0] for line in lines[1:]] == ["S2_00", "S2_01"]
    assert "B04,B08" in lines[1] and "0%" in lines[1] and "2.0 KiB" in lines[1]
    found = eojobs.json("-b", "stac", "search", S2, "-r", str(GLASGOW), "-o", "limit=3",
                        "-o", "assets=B08")
    assert [(s["id"], s["assets"], s["size"]) for s in found] == [
        (f"S2_0{n}", ["B08"], stac.sizes[f"S2_0{n}_B08.tif"]) for n in range(3)]
    assert stac.files.seen == []


def test_search_on_a_backend_that_cannot_is_refused_in_one_line(eojobs):
    done = eojobs("search", "Elevation", "-r", str(GLASGOW))
    assert done.exit_code == 2
    assert done.stderr == "error: the mock backend does not support searching for scenes\n"


def test_run_download_results_and_delete_like_any_backend(eojobs, stac, tmp_path):
    out = tmp_path / "out"
    done = eojobs("-b", "stac", "run", S2, "-r", str(GLASGOW), "-o", "assets=B04,B08",
                  "-o", "start_date=2024-05-02T00:00:00Z", "-o", "end_date=2024-05-03T12:00:00Z",
                  "--download", str(out))
    assert done.exit_code == 0, done.stderr
    job_id = done.stdout.split()[0]
    assert set(tree(out)) == {f"{i}/{i}_{k}.tif" for i in ("S2_01", "S2_02")
                              for k in ("B04", "B08")}
    assert tree(out)["S2_01/S2_01_B08.tif"] == payload("S2_01_B08.tif",
                                                       stac.sizes["S2_01_B08.tif"])
    [listed] = eojobs.json("-b", "stac", "jobs")
    assert (listed["id"], listed["status"], listed["price"]) == (job_id, "succeeded", 0)
    assert eojobs.json("-b", "stac", "status", job_id)["service_id"] == S2
    results = eojobs.json("-b", "stac", "results", job_id)
    assert sorted(r["path"] for r in results) == sorted(tree(out))

    document = json.loads(eojobs("-b", "stac", "results", job_id, "--stac", "--dir",
                                 str(out)).stdout)
    assert [f["id"] for f in document["features"]] == ["S2_01", "S2_02"]
    for feature in document["features"]:
        for key, asset in feature["assets"].items():
            assert asset["href"] == str((out / feature["id"] / f"{feature['id']}_{key}.tif")
                                        .resolve())
            assert asset["file:checksum"].startswith("1220")

    again = eojobs("-b", "stac", "download", job_id, "--dir", str(out))
    assert again.exit_code == 0 and "4 already there" in again.stderr
    assert eojobs("-b", "stac", "delete", job_id, "--yes").exit_code == 0
    assert eojobs.json("-b", "stac", "jobs") == []


def test_a_download_before_an_offline_scene_is_ready_says_scheduled(eojobs, stac, tmp_path):
    stac.files.fault("cold.bin", offline=1000)
    stac.files.fault("staged.bin", offline=1000, status=202)
    job_id = eojobs("-b", "stac", "create", "archive", "-r", str(GLASGOW)).stdout.strip()
    done = eojobs("-b", "stac", "download", job_id, "--dir", str(tmp_path / "out"))
    assert done.exit_code == 0, done.stderr
    assert "2 files not ready yet; run the same download again later" in done.stderr
    assert "failed:" not in done.stderr
    status = eojobs.json("-b", "stac", "start", job_id)
    assert status["status"] == "running"
    # Ordered, the cold scene is online; the staged one is still being staged.
    assert eojobs.json("-b", "stac", "status", job_id)["progress"] == 50


def test_the_job_is_seen_from_another_process(eojobs, stac):
    job_id = eojobs("-b", "stac", "create", S2, "-r", str(GLASGOW), "-o",
                    "limit=2").stdout.strip()
    done = subprocess.run([sys.executable, "-m", "eojobs", "-b", "stac", "--json", "status",
                           job_id], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "created"


@pytest.mark.parametrize(("args", "message"), [
    (["-r", "10,10,11,11"], "error: the region (10, 10, 11, 11) is outside collection "
                            "sentinel-2-l2a, which covers -6, 55, -3, 58 (west, south, east, "
                            "north): no scene can match"),
    (["-r", str(GLASGOW), "-o", "end_date=2001-01-01T00:00:00Z"],
     "error: end_date 2001-01-01 is before collection sentinel-2-l2a starts (2024-01-01): no "
     "scene can match"),
    (["-r", str(GLASGOW), "-o", 'filter={"op": "=", "args": []}'],
     "error: the STAC API at {url} does not support filters (it does not conform to the "
     "STAC API filter extension); leave out -o filter"),
])
def test_bad_input_to_run_is_one_line_exit_2_and_writes_nothing(eojobs, stac, tmp_path,
                                                                 user_dir, args, message):
    out = tmp_path / "out"
    done = eojobs("-b", "stac", "run", S2, *args, "--download", str(out))
    assert done.exit_code == 2
    assert done.stderr == message.format(url=stac.url) + "\n"
    assert not out.exists() and not (user_dir / "stac").exists()
    assert eojobs.json("-b", "stac", "jobs") == []


def test_an_unknown_collection_names_the_collections(eojobs, stac):
    done = eojobs("-b", "stac", "run", "sentinel-2-l1c", "-r", str(GLASGOW))
    assert done.exit_code == 2
    assert done.stderr.startswith("error: no service 'sentinel-2-l1c' on stac (did you mean "
                                  "'sentinel-2-l2a'?); services: ")


def provider_config(user_dir, url: str) -> None:
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "config.toml").write_text(
        f'[stac.providers.local]\nurl = "{url}"\nheaders = {{ X-Api-Key = "{SECRET}" }}\n'
        f'[stac.providers.elsewhere]\nurl = "http://127.0.0.1:9"\n')


def test_a_named_provider_is_used_with_its_headers_kept_to_its_origin(eojobs, catalogue,
                                                                      user_dir, tmp_path):
    catalogue.files.reset()
    provider_config(user_dir, catalogue.url)
    out = tmp_path / "out"
    done = eojobs("-b", "stac:local", "run", "faults", "-r", str(GLASGOW), "--download",
                  str(out), "-v")
    assert done.exit_code == 1  # the 404 and the bad checksum
    assert "eojobs -b stac:local download" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert catalogue.files.seen and all("X-Api-Key" not in s.headers and
                                        SECRET not in json.dumps(s.headers)
                                        for s in catalogue.files.seen)
    job_id = done.stdout.split()[0]
    assert [j["id"] for j in eojobs.json("-b", "stac:local", "jobs")] == [job_id]
    # Another provider keeps jobs of its own, and says where a job of another one is.
    gone = eojobs("-b", "stac:elsewhere", "status", job_id)
    assert gone.exit_code == 2 and f"was made on the STAC API at {catalogue.url}" in gone.stderr

    from eojobs_stac.backend import StacBackend
    from eojobs_stac.settings import StacSettings, endpoint

    settings = StacSettings(url=catalogue.url, headers={"X-Api-Key": SECRET})
    backend = StacBackend(settings)
    assert backend.io.headers_for(catalogue.url + "/search") == {"X-Api-Key": SECRET}
    assert backend.io.headers_for(catalogue.files.url + "/files/plain.bin") == {}
    assert endpoint(settings).headers == {"X-Api-Key": SECRET}


@pytest.mark.parametrize(("backend", "message"), [
    ("stac:nope", "error: no STAC provider named 'nope'; providers in config.toml: elsewhere, "
                  "local (add [stac.providers.nope] with a url)"),
    ("mock:x", "error: the mock backend takes no ':NAME' after its name; name it alone: -b mock"),
    ("stac:", "error: a name is needed after 'stac:', such as stac:NAME"),
])
def test_bad_provider_names(eojobs, user_dir, backend, message):
    provider_config(user_dir, "http://127.0.0.1:9")
    done = eojobs("-b", backend, "services")
    assert done.exit_code == 2 and done.stderr == message + "\n"


def test_stac_without_a_url_says_how_to_set_one(eojobs):
    done = eojobs("-b", "stac", "services")
    assert done.exit_code == 2
    assert "set EOJOBS_STAC_URL" in done.stderr


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"type": "Catalog"}', b"<html>not json</html>",
                                  b'{"type": "Catalog", "id": "x", "description": "d", '
                                  b'"stac_version": "1.0.0", "links": 5}'])
def test_an_api_answering_in_a_wrong_shape_is_a_one_line_backend_error(eojobs, catalogue,
                                                                       monkeypatch, body):
    monkeypatch.setenv("EOJOBS_STAC_URL", catalogue.files.add("landing.json", body))
    done = eojobs("-b", "stac", "services")
    assert done.exit_code == 1
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "STAC API" in done.stderr


def test_an_api_without_collections_says_so_in_one_line_without_the_clients_warnings(
        eojobs, catalogue, monkeypatch):
    import json

    landing = {"type": "Catalog", "id": "x", "description": "d", "stac_version": "1.0.0",
               "conformsTo": ["https://api.stacspec.org/v1.0.0/core"], "links": []}
    monkeypatch.setenv("EOJOBS_STAC_URL",
                       catalogue.files.add("bare.json", json.dumps(landing).encode()))
    done = eojobs("-b", "stac", "services")
    assert done.exit_code == 2
    assert done.stderr == ("error: the STAC API does not offer COLLECTIONS (it does not "
                           "conform to that part of the STAC API)\n")


def test_a_redirect_to_another_origin_drops_the_providers_headers(catalogue, tmp_path):
    from eojobs.models import Asset
    from eojobs_stac.backend import StacBackend
    from eojobs_stac.settings import StacSettings
    from tests.stac.servers import FileServer

    home = catalogue.files  # the provider's own origin, in this test
    home.reset()
    other = FileServer(tmp_path).start()
    try:
        target = other.add("elsewhere.bin", b"x" * 100)
        backend = StacBackend(StacSettings(url=home.url + "/api",
                                           headers={"X-Api-Key": SECRET}))
        asset = Asset(name="a.bin", execution_id="i", size=100,
                      href=f"{home.url}/redirect/{target}")
        with backend.open_asset(asset) as stream:
            assert stream.read() == b"x" * 100
        assert [s.headers.get("X-Api-Key") for s in home.seen] == [SECRET]
        assert [s.headers.get("X-Api-Key") for s in other.seen] == [None]
    finally:
        other.stop()


def test_the_service_command_shows_extent_summaries_and_item_assets(eojobs, stac):
    done = eojobs("-b", "stac", "service", S2)
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [f"{S2}  ({S2})", f"Test {S2}"]
    assert 'extent: {"spatial": {"bbox": [[-6.0, 55.0, -3.0, 58.0]]}' in done.stdout
    assert 'item_assets: {"B04": {"title": "Red"' in done.stdout
    assert 'summaries: {"platform": ["sentinel-2a", "sentinel-2b"]' in done.stdout
