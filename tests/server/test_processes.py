from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from click.testing import CliRunner

import eojobs
from eojobs.cli import cli
from tests.conftest import GLASGOW
from tests.server.conftest import BIG, Api


def later(**delta: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def test_templates_have_inputs_without_ids_typed_options_and_dispatchers(api: Api):
    vegetation = api.template("Vegetation Index")
    model = vegetation["model"]
    assert [(i["input"], i["file_type"]) for i in model["inputs"]] == [(0, "GeoJSON"),
                                                                       (1, "GeoTIFF")]
    assert all("id" not in i for i in model["inputs"])
    options = {o["name"]: o for o in model["options"]}
    assert options["start_date"]["validation"] == "format=%Y-%m-%dT%H:%M:%SZ"
    assert options["start_date"]["required"] is True
    assert options["index"]["validation"] == "values=NDVI,EVI,SAVI"
    assert options["index"]["value"] == "NDVI" and options["mask_clouds"]["value"] == "true"
    assert options["resolution"]["validation"] == "min=10;max=1000"
    types = {o["data_type"] for name in ("Vegetation Index", "Statistics Aggregator")
             for o in api.template(name)["model"]["options"]}
    assert types == {"numeric", "currency", "boolean", "datetime", "string", "constrained"}
    assert model["run_type"] == "run_once" and model["repeat_count"] == 0
    dispatchers = {d["name"]: d for d in vegetation["extras"]["dispatchers"]}
    assert {o["name"] for o in dispatchers["AWS S3"]["options"]} >= {
        "bucket", "access_key_id", "secret_access_key", "session_token", "kms_key_id",
        "condition"}
    assert {o["name"] for o in dispatchers["Email Dispatcher"]["options"]} == {
        "emails", "message", "condition"}
    assert "service_id is required" in api.error("GET", api.org_path("/processes/new"), 400)


def test_create_prices_the_process_like_the_in_process_mock(api: Api, conn):
    process = api.create(region=api.region(), options={"resolution": "60"})
    same = conn.create_job("Elevation", GLASGOW, options={"resolution": 60})
    assert process["price"] == same.price > 0
    assert process["process_status"] == "stop"
    assert process["has_executions"] == "" and process["executions"] == []
    assert process["inputs"][0]["id"] and process["name"] == "test"


@pytest.mark.parametrize(("service", "options", "words"), [
    ("Vegetation Index", {"end_date": "2024-06-01T00:00:00Z"}, "option 'start_date' is required"),
    ("Elevation", {"resolution": "fine"}, "option 'resolution': 'fine' is not a valid numeric"),
    ("Elevation", {"resolution": "5"}, "option 'resolution' must be at least 10"),
    ("Elevation", {"resolution": "1e4"}, "option 'resolution' must be at most 1000"),
    ("Elevation", {"dem_source": "LIDAR"}, "option 'dem_source' must be one of"),
    ("Elevation", {"fill_voids": "perhaps"}, "option 'fill_voids': 'perhaps' is not a valid "
                                             "boolean"),
    ("Elevation", {"fill_voids": "yes"}, "option 'fill_voids': 'yes' is not a valid boolean"),
    ("Vegetation Index", {"start_date": "last week", "end_date": "2024-06-01T00:00:00Z"},
     "option 'start_date': 'last week' is not a valid datetime value "
     "(format=%Y-%m-%dT%H:%M:%SZ)"),
    ("Vegetation Index", {"start_date": "2024-05-01", "end_date": "2024-06-01T00:00:00Z"},
     "option 'start_date': '2024-05-01' is not a valid datetime"),
    ("Statistics Aggregator", {"budget": "lots"}, "option 'budget': 'lots' is not a valid "
                                                  "currency"),
])
def test_invalid_options_are_400_naming_the_option(api: Api, service, options, words):
    assert words in api.create(service, region=api.region(), options=options, status=400)


def test_invalid_inputs_and_fields_are_400_saying_what_is_wrong(api: Api):
    assert "input 0 (Region) needs a data item" in api.create(status=400)
    csv_id, _ = api.upload(b"a,b\n1,2\n", name="t.csv", file_type="CSV")
    assert "needs a GeoJSON file, not CSV" in api.create(region=csv_id, status=400)
    broken, _ = api.upload(b'{"type": "Point", "coordinates": [1, 2]}')
    assert "cannot be used" in api.create(region=broken, status=400)
    missing = "00000000-0000-4000-8000-000000000000"
    assert "no data item" in api.create(region=missing, status=400)
    region = api.region()
    assert "run_type" in api.create(region=region, run_type="sometimes", status=400)
    assert "repeat_gap is required" in api.create(region=region, run_type="run_schedule",
                                                  repeat_count=3, status=400)
    assert "months" in api.create(region=region, run_type="run_schedule", repeat_count=2,
                                  repeat_gap=json.dumps({"months": 1}), status=400)
    for bad in ({"days": "x"}, {"days": [1]}):
        assert "repeat_gap: days must be a number" in api.create(
            region=region, run_type="run_schedule", repeat_count=2,
            repeat_gap=json.dumps(bad), status=400)
    assert "no option 'colour'" in api.error("POST", api.org_path("/processes"), 400, body={
        "Process[service_id]": api.service("Elevation")["id"], "Process[name]": "x",
        "Process[options]": [{"name": "colour", "value": "red"}]})


def test_execute_charges_credits_runs_and_cannot_run_twice(api: Api):
    credits_path = api.org_path(f"/credits/{api.org}")
    before = api.call("GET", credits_path)["model"]["any_credits"]
    process = api.create(region=api.region())
    started = api.execute(process["id"])
    assert started["process_status"] == "execute"
    after = api.call("GET", credits_path)["model"]["any_credits"]
    assert after == pytest.approx(before - process["price"])
    done = api.call("GET", api.org_path(f"/processes/{process['id']}"))["model"]
    assert done["process_status"] == "stop" and done["has_executions"]
    assert [e["job_status"] for e in done["executions"]] == ["succeeded"]
    assert done["repeat_start"] <= done["executions"][0]["started_at"]
    assert "already been executed" in api.error(
        "POST", api.org_path(f"/processes/{process['id']}/execute"), 409)


def test_insufficient_credits_is_a_402_with_a_clear_message(api: Api, mock_server):
    mock_server.state.platform.set_credits(1)
    process = api.create(region=api.region())
    message = api.error("POST", api.org_path(f"/processes/{process['id']}/execute"), 402)
    assert message.startswith("Insufficient credits") and "has 1" in message


def test_an_execution_its_components_outputs_files_and_logs(api: Api):
    process = api.create(region=api.region())
    api.execute(process["id"])
    executions = api.every(api.org_path(f"/processes/{process['id']}/executions"))
    assert len(executions) == 1
    execution = executions[0]
    assert execution["progress"] == 100 and execution["success"] is True
    assert execution["stopped"] is False and execution["abort"] is False
    assert "abort_reason" not in execution and "group_id" not in execution
    assert execution["ended_at"] >= execution["started_at"]
    one = api.call("GET", api.org_path(f"/process_executions/{execution['id']}"))["model"]
    assert one == execution
    components = api.every(api.org_path(
        f"/process_executions/{execution['id']}/process_service_executions"))
    assert [c["name"] for c in components] == ["Elevation", "Statistics"]
    assert components[0]["inputs"] == [process["inputs"][0]["id"]]
    names = {}
    for component in components:
        assert api.call("GET", api.org_path(f"/process_service_executions/{component['id']}")
                        )["model"] == component
        for data_id in component["outputs"]:
            data = api.call("GET", api.org_path(f"/data/{data_id}"))["model"]
            files = api.every(api.org_path(f"/data/{data_id}/files"))
            names[data["name"]] = (component["name"], files[0])
    assert {n: c for n, (c, _) in names.items()} == {
        "elevation.tif": "Elevation", "elevation.png": "Elevation",
        "statistics.csv": "Statistics", "footprint.geojson": "Statistics"}
    tif = names["elevation.tif"][1]
    assert tif["file_type"] == "GeoTIFF" and tif["crs"] == "EPSG:4326"
    assert len(tif["selectors"][0]["histogram"]) == 10
    assert tif["stac_item_file"] == ".elevation.tif.stac"
    assert tif["preview_file_id"] == names["elevation.png"][1]["file_id"]
    logs_path = api.org_path(f"/process_service_executions/{components[0]['id']}/logs")
    logs = api.every(logs_path)
    assert [line["message"].split(" on ")[0] for line in logs] == ["Elevation started",
                                                                   "Elevation finished"]
    assert api.every(logs_path, reverse="True") == logs[::-1]


def test_a_large_region_runs_as_a_group_with_the_aggregator_last(api: Api):
    region, _ = api.upload(json.dumps(BIG).encode(), name="big.geojson")
    process = api.create("Statistics Aggregator", region=region)
    api.execute(process["id"])
    path = api.org_path(f"/processes/{process['id']}/executions")
    executions = api.every(path)
    count = executions[0]["group_count"]
    assert count > 1 and len(executions) == count + 1
    assert [e["group_index"] for e in executions] == list(range(1, count + 2))
    assert len({e["group_id"] for e in executions}) == 1
    assert api.every(path, reverse="True")[0]["group_index"] == count + 1
    assert api.every(path, **{"filter[group_id__eq]": executions[0]["group_id"]}) == executions
    aggregator = api.every(api.org_path(
        f"/process_executions/{executions[-1]['id']}/process_service_executions"))
    assert [c["name"] for c in aggregator] == ["Statistics Aggregator"]
    outputs = [api.call("GET", api.org_path(f"/data/{d}"))["model"]["name"]
               for d in aggregator[0]["outputs"]]
    assert outputs == ["statistics.csv", "region.geojson"]
    summary = api.call("GET", api.org_path(f"/processes/{process['id']}"))["model"]
    assert summary["non_aggregator_count"] == count and summary["aggregator_count"] == 1
    expiry = later(days=90)
    api.call("POST", api.org_path(f"/process_executions/{executions[0]['id']}"
                                  "/change_delete_expiry"),
             body={"ProcessExecution": {"delete_expiry": expiry}})
    kept = {e["delete_expiry"] for e in api.every(path)}
    assert len(kept) == 1 and kept.pop()[:16] == expiry[:16]


def test_a_failing_service_reports_its_abort_reason_and_error_log(api: Api):
    process = api.create("Failing Demo", region=api.region())
    api.execute(process["id"])
    execution = api.every(api.org_path(f"/processes/{process['id']}/executions"))[0]
    assert execution["success"] is False and execution["progress"] == 100
    assert execution["abort"] is True and execution["exit_type"] == "error"
    assert "out of memory" in execution["abort_reason"]
    component = api.every(api.org_path(
        f"/process_executions/{execution['id']}/process_service_executions"))[0]
    assert component["success"] is False and component["outputs"] == []
    logs = api.every(api.org_path(f"/process_service_executions/{component['id']}/logs"))
    assert logs[-1]["message"].startswith("ERROR: simulated failure")


def test_a_scheduled_process_can_be_stopped_before_it_runs(api: Api):
    process = api.create(region=api.region(), run_type="run_schedule", repeat_count=3,
                         repeat_start=later(days=2), repeat_gap=json.dumps({"days": 1}))
    assert process["repeat_gap"] and json.loads(process["repeat_gap"])["days"] == 1
    started = api.execute(process["id"])
    assert started["process_status"] == "execute"
    scheduled = api.call("GET", api.org_path(f"/processes/{process['id']}"))["model"]
    assert scheduled["process_status"] == "execute" and scheduled["has_executions"] == ""
    assert api.error("PATCH", api.org_path(f"/processes/{process['id']}"), 409,
                     body={"Process[name]": "busy"})
    stopped = api.call("POST", api.org_path(f"/processes/{process['id']}/stop"))["model"]
    assert stopped["process_status"] == "stop"
    assert api.every(api.org_path(f"/processes/{process['id']}/executions")) == []


def test_patch_reprices_before_execution_and_then_only_renames(api: Api):
    process = api.create(region=api.region(), options={"resolution": "30"})
    path = api.org_path(f"/processes/{process['id']}")
    options = [dict(o, value="60") if o["name"] == "resolution" else o
               for o in process["options"]]
    body = {f"Process[{k}]": v for k, v in process.items()}
    cheaper = api.call("PATCH", path, body={**body, "Process[options]": options})["model"]
    assert cheaper["price"] < process["price"]
    api.execute(process["id"])
    renamed = api.call("PATCH", path, body={**body, "Process[options]": options,
                                            "Process[name]": "renamed",
                                            "Process[repeat_gap]": None})["model"]
    assert renamed["name"] == "renamed"
    assert "only its name can change" in api.error("PATCH", path, 409, body={
        **body, "Process[options]": process["options"]})


def test_copy_gives_an_unsaved_template_of_the_process(api: Api):
    region = api.region()
    process = api.create(region=region, options={"dem_source": "SRTM"})
    copy = api.call("GET", api.org_path(f"/processes/{process['id']}/copy"))
    assert "id" not in copy["model"] and copy["extras"]["dispatchers"]
    assert copy["model"]["inputs"][0]["id"] == region
    assert {o["name"]: o["value"] for o in copy["model"]["options"]}["dem_source"] == "SRTM"


def test_dispatchers_are_checked_and_kept(api: Api):
    email = next(d for d in api.template("Elevation")["extras"]["dispatchers"]
                 if d["name"] == "Email Dispatcher")
    region = api.region()
    assert "needs option 'emails'" in api.create(region=region, dispatchers=[email], status=400)
    filled = dict(email, dispatch_intermediate=True, options=[
        dict(o, value="me@org.com") if o["name"] == "emails" else o for o in email["options"]])
    process = api.create(region=region, dispatchers=[filled])
    assert process["dispatchers"][0]["name"] == "Email Dispatcher"
    assert process["dispatchers"][0]["dispatch_intermediate"] is True


def test_deleting_executions_processes_and_data_in_use(api: Api):
    region = api.region()
    process = api.create(region=region)
    api.execute(process["id"])
    assert "input of process" in api.error("DELETE", api.org_path(f"/data/{region}"), 409)
    execution = api.every(api.org_path(f"/processes/{process['id']}/executions"))[0]
    assert api.call("DELETE", api.org_path(f"/process_executions/{execution['id']}")) == {}
    assert api.every(api.org_path(f"/processes/{process['id']}/executions")) == []
    assert api.error("GET", api.org_path(f"/process_executions/{execution['id']}"), 404)
    assert api.call("DELETE", api.org_path(f"/processes/{process['id']}")) == {}
    assert api.error("GET", api.org_path(f"/processes/{process['id']}"), 404)
    assert api.call("DELETE", api.org_path(f"/data/{region}")) == {}


def test_processes_list_filters_and_search(api: Api):
    region = api.region()
    for name in ("alpha one", "beta two", "alpha three"):
        api.create(region=region, name=name)
    path = api.org_path("/processes")
    page = api.call("GET", path, params={"limit": 24, "reverse": "False"})
    assert [p["name"] for p in page["list"]] == ["alpha one", "beta two", "alpha three"]
    assert [d["name"] for d in page["extras"]["dispatchers"]] == ["Email Dispatcher", "AWS S3"]
    assert [p["name"] for p in api.every(path, **{"filter[name__contains]": "pha"})] == [
        "alpha one", "alpha three"]
    assert [p["name"] for p in api.every(path, search="TWO")] == ["beta two"]


def test_a_process_made_over_http_is_a_job_of_the_in_process_backend(api: Api, conn):
    process = api.create(region=api.region(), name="over http")
    api.execute(process["id"])
    job = conn.job(process["id"])
    assert job.name == "over http" and job.price == process["price"]
    assert job.status is eojobs.JobStatus.SUCCEEDED
    names = sorted(a.name for a in job.results().assets)
    assert names == ["elevation.png", "elevation.tif", "footprint.geojson", "statistics.csv"]
    listed = CliRunner().invoke(cli, ["-b", "mock", "jobs"], catch_exceptions=False)
    assert listed.exit_code == 0 and "over http" in listed.output


def test_a_job_made_in_process_is_a_process_over_http(api: Api, conn):
    job = conn.create_job("Elevation", GLASGOW, name="in process").start_and_wait(progress=False)
    process = api.call("GET", api.org_path(f"/processes/{job.id}"))["model"]
    assert process["name"] == "in process" and process["price"] == job.price
    region = api.call("GET", api.org_path(f"/data/{process['inputs'][0]['id']}"))["model"]
    assert region["bounds"][0] == pytest.approx(-4.4827, abs=1e-3)
    execution = api.every(api.org_path(f"/processes/{job.id}/executions"))[0]
    assert execution["id"] == job.executions[0].id
    component = api.every(api.org_path(
        f"/process_executions/{execution['id']}/process_service_executions"))[0]
    data_id = component["outputs"][0]
    file = api.every(api.org_path(f"/data/{data_id}/files"))[0]
    url = api.call("GET", api.org_path(f"/data/{data_id}/download_file/{file['file_id']}"),
                   params={"preview": "False"})["extras"]["url"]
    asset = next(a for a in job.results().assets if a.name == file["file_name"])
    assert hashlib.sha256(requests.get(url).content).hexdigest() == asset.checksum


def test_the_optional_mask_input_takes_a_geotiff_only(api: Api):
    region = api.region()
    mask, _ = api.upload(b"II*\x00not really a tiff", name="mask.tif", file_type="GeoTIFF")
    dates = {"start_date": "2024-05-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"}
    template = api.template("Vegetation Index")["model"]
    template["inputs"][0]["id"], template["inputs"][1]["id"] = region, mask
    for option in template["options"]:
        option["value"] = dates.get(option["name"], option["value"])
    body = {f"Process[{k}]": v for k, v in {**template, "name": "masked"}.items()}
    process = api.call("POST", api.org_path("/processes"), body=body)["model"]
    assert [(i["input"], i["id"]) for i in process["inputs"]] == [(0, region), (1, mask)]
    without = api.create("Vegetation Index", region=region, options=dates)
    assert [i["input"] for i in without["inputs"]] == [0]
    template["inputs"][1]["id"] = region
    body = {f"Process[{k}]": v for k, v in {**template, "name": "wrong"}.items()}
    assert "needs a GeoTIFF file, not GeoJSON" in api.error("POST", api.org_path("/processes"),
                                                            400, body=body)


def test_ids_of_a_job_deleted_in_process_are_not_found(api: Api, conn):
    process = api.create(region=api.region())
    api.execute(process["id"])
    execution = api.every(api.org_path(f"/processes/{process['id']}/executions"))[0]
    component = api.every(api.org_path(
        f"/process_executions/{execution['id']}/process_service_executions"))[0]
    conn.job(process["id"]).delete()
    assert api.error("GET", api.org_path(f"/processes/{process['id']}"), 404)
    assert api.error("GET", api.org_path(f"/process_executions/{execution['id']}"), 404)
    assert api.error("GET", api.org_path(f"/data/{component['outputs'][0]}"), 404)
    assert api.error("GET", api.org_path(f"/process_service_executions/{component['id']}"), 404)


def test_deleting_a_job_in_process_leaves_nothing_the_server_made_for_it(mock_server, user_dir):
    import sqlite3

    from tests.conftest import GLASGOW

    with eojobs.connect("mock") as conn:
        job = conn.create_job("Elevation", GLASGOW)
        token = requests.post(f"{mock_server.url}/users/login", json={"User": {
            "email": mock_server.email, "user_id": None,
            "password": mock_server.password}}).json()["access_token"]
        org = mock_server.state.organisation_id
        seen = requests.get(f"{mock_server.url}/organisations/{org}/processes/{job.id}",
                            headers={"Authorization": f"Bearer {token}"})
        assert seen.ok
        job.delete()
    db = sqlite3.connect(user_dir / "mock" / "state.sqlite")
    counts = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
              for table in ("processes", "data_items", "data_files")}
    assert counts == {"processes": 0, "data_items": 0, "data_files": 0}
    assert [p for p in (user_dir / "mock" / "files").rglob("*") if p.is_file()] == []


def test_services_are_read_only(api: Api):
    path = api.org_path(f"/services/{api.service('Elevation')['id']}")
    for method in ("PATCH", "DELETE"):
        assert "read-only" in api.error(method, path, 403)
