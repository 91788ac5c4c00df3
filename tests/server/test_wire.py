from __future__ import annotations

import pytest
import requests

from tests.conftest import GLASGOW
from tests.server.conftest import Api

GUIDE = "Demo: Sentinel-2 Cloud Classification"
SERVICES = ["Cloud Classification", GUIDE, "Elevation", "Failing Demo",
            "Statistics Aggregator", "Vegetation Index"]


def test_envelopes_model_list_extras_login_and_ack(api: Api):
    user = api.call("GET", f"/users/{api.user_id}")
    assert list(user) == ["model"]
    page = api.call("GET", api.org_path("/services/latest"), params={"limit": 24,
                                                                     "reverse": "False"})
    assert set(page) == {"list"} and len(page["list"]) == len(SERVICES)
    data_id = api.call("POST", api.org_path("/data"), body={"Data[name]": "x"})["model"]["id"]
    added = api.call("POST", api.org_path(f"/data/{data_id}/add_file"),
                     body={"Data": {"name": "a.csv", "file_type": "CSV"}})
    assert list(added) == ["extras"] and set(added["extras"]) == {"file", "url"}
    assert added["extras"]["url"].startswith(api.url + "/uploads/")
    process = api.template("Elevation")
    assert set(process) == {"model", "extras"}
    names = [d["name"] for d in process["extras"]["dispatchers"]]
    assert names == ["Email Dispatcher", "AWS S3"]
    deleted = api.raw("DELETE", api.org_path(f"/data/{data_id}"))
    assert deleted.status_code == 200 and deleted.json() == {}
    assert deleted.headers["Content-Type"] == "application/json"


def test_paging_follows_last_until_it_is_left_out(api: Api):
    path = api.org_path("/services/latest")
    first = api.call("GET", path, params={"limit": 2, "reverse": "False"})
    assert [s["name"] for s in first["list"]] == SERVICES[:2]
    assert set(first["last"]) == {"id", "position"}
    assert [s["name"] for s in api.every(path, limit=2)] == SERVICES
    assert [s["name"] for s in api.every(path, limit=2, reverse="True")] == SERVICES[::-1]
    last = api.call("GET", path, params={"limit": len(SERVICES), "reverse": "False"})
    assert "last" not in last


def test_filters_apply_after_the_limit_so_pages_can_be_short(api: Api):
    path = api.org_path("/services/latest")
    params = {"limit": 1, "reverse": "False", "filter[keywords__contains]": "Elevation"}
    first = api.call("GET", path, params=params)
    assert first["list"] == [] and first["last"]
    assert [s["name"] for s in api.every(path, **{"filter[keywords__contains]": "Elevation",
                                                  "limit": 1})] == ["Elevation"]


@pytest.mark.parametrize(("params", "names"), [
    ({"filter[name__begins_with]": "Stat"}, ["Statistics Aggregator"]),
    ({"filter[name__begins_with]": "stat"}, []),
    ({"filter[name__begins_with]": "Demo"}, [GUIDE]),
    ({"filter[name__contains]": "ation"}, ["Cloud Classification", GUIDE, "Elevation",
                                          "Vegetation Index"]),
    ({"filter[keywords__contains]": "ndvi"}, ["Vegetation Index"]),
    ({"filter[name__in]": ["Elevation", "Failing Demo"]}, ["Elevation", "Failing Demo"]),
    ({"filter[name__ne]": "Elevation", "filter[name__lt]": "F"},
     ["Cloud Classification", GUIDE]),
    ({"filter[version__between]": ["1", "2"]}, SERVICES),
    ({"search": "zonal"}, ["Statistics Aggregator"]),
    ({"search": "NDVI"}, ["Vegetation Index"]),
])
def test_filters_and_search(api: Api, params, names):
    found = api.every(api.org_path("/services/latest"), **params)
    assert [s["name"] for s in found] == names


def test_filter_by_id_matches_one_service(api: Api):
    elevation = api.service("Elevation")
    found = api.every(api.org_path("/services/latest"), **{"filter[id__eq]": elevation["id"]})
    assert found == [elevation]
    by_ssd = api.every(api.org_path("/services/latest"),
                       **{"filter[ssd_id__eq]": elevation["ssd_id"]})
    assert by_ssd == [elevation]


@pytest.mark.parametrize(("params", "words"), [
    ({"reverse": "true"}, "reverse must be True or False"),
    ({"limit": "0"}, "limit"),
    ({"filter[name__like]": "x"}, "modifier"),
    ({"filter[colour__eq]": "x"}, "cannot filter on 'colour'"),
    ({"filter[name]": "x"}, "malformed filter"),
    ({"last[id]": "x"}, "last[position]"),
    ({"page": "2"}, "unknown query parameter"),
])
def test_bad_collection_parameters_are_400_saying_what_is_wrong(api: Api, params, words):
    assert words in api.error("GET", api.org_path("/services/latest"), 400, params=params)


def test_flat_and_nested_body_styles_are_checked(api: Api):
    assert "Data[name]" in api.error("POST", api.org_path("/data"), 400, body={"name": "x"})
    assert "'Process[name]'" in api.error("POST", api.org_path("/data"), 400,
                                          body={"Process[name]": "x"})
    assert api.error("POST", api.org_path("/data"), 400, body="{not json")
    assert "Data[name] is required" in api.error("POST", api.org_path("/data"), 400,
                                                 body={"Data[organisation_id]": api.org})
    data_id = api.region()
    assert '{"Data": {...}}' in api.error("POST", api.org_path(f"/data/{data_id}/copy"), 400,
                                          body={"Data[name]": "copy"})
    copy = api.call("POST", api.org_path(f"/data/{data_id}/copy"), body={"Data": {"name": "c"}})
    assert copy["model"]["name"] == "c"


def test_read_only_fields_in_flat_bodies_are_ignored_and_data_id_is_honoured_on_create(api: Api):
    chosen = "2f6d7a3c-9b1e-4d6a-8f0e-3c1b2a4d5e6f"
    created = api.call("POST", api.org_path("/data"), body={
        "Data[id]": chosen, "Data[name]": "mine", "Data[created_at]": "2000-01-01T00:00:00Z",
        "Data[deletable]": "yes"})["model"]
    assert created["id"] == chosen and created["created_at"] > "2020"
    assert "deletable" not in created
    assert "already exists" in api.error("POST", api.org_path("/data"), 409,
                                         body={"Data[id]": chosen, "Data[name]": "again"})
    renamed = api.call("PATCH", api.org_path(f"/data/{chosen}"), body={
        "Data[id]": "00000000-0000-4000-8000-000000000000", "Data[name]": "renamed",
        "Data[updated_at]": "2000-01-01T00:00:00Z"})["model"]
    assert renamed["id"] == chosen and renamed["name"] == "renamed"


def test_null_attributes_are_left_out_until_they_have_a_value(api: Api):
    data_id = api.call("POST", api.org_path("/data"), body={"Data[name]": "g"})["model"]["id"]
    extras = api.call("POST", api.org_path(f"/data/{data_id}/add_file"),
                      body={"Data": {"name": "g.geojson", "file_type": "GeoJSON"}})["extras"]
    before = api.every(api.org_path(f"/data/{data_id}/files"))[0]
    assert not {"size", "publishable", "error"} & set(before)
    assert requests.put(extras["url"], data=GLASGOW.read_bytes()).ok
    after = api.every(api.org_path(f"/data/{data_id}/files"))[0]
    assert after["size"] == GLASGOW.stat().st_size
    assert after["publishable"] is True and after["error"] is False
    assert after["bounds"][0] == pytest.approx(-4.4827, abs=1e-3)
    assert None not in after.values() and None not in before.values()


def test_nested_nulls_are_kept_in_options_and_inputs(api: Api):
    template = api.template("Vegetation Index")["model"]
    start = next(o for o in template["options"] if o["name"] == "start_date")
    assert "value" in start and start["value"] is None
    assert all("id" not in i for i in template["inputs"])
    assert all("resolution" in i and i["resolution"] is None for i in template["inputs"])
    assert None not in template.values()


def test_routes_and_methods_that_do_not_exist_are_json_errors(api: Api):
    assert "No such endpoint" in api.error("GET", "/nothing/here", 404)
    assert api.error("PUT", f"/users/{api.user_id}", 405)
    assert api.error("GET", api.org_path("/data/not-a-uuid"), 404)
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/data/{missing}", f"/processes/{missing}", f"/process_executions/{missing}",
                 f"/process_service_executions/{missing}", f"/services/{missing}",
                 f"/data/{missing}/files", f"/processes/{missing}/executions"):
        assert missing in api.error("GET", api.org_path(path), 404)
