"""Public process definitions listed by URL or file (``EOJOBS_OPENEO_PROCESSES``) as services."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import eojobs
from eojobs.config import ConfigWarning
from tests.conftest import GLASGOW
from tests.openeo.conftest import REGION_UDP
from tests.scripted_server import Answer, scripted_server

#: A ready-made algorithm as back-ends publish them: a definition with its own graph.
PUBLISHED = {
    "id": "max_ndvi",
    "summary": "Maximum NDVI composite",
    "categories": ["vegetation"],
    "parameters": [
        {"name": "geometry", "schema": {"type": "object", "subtype": "geojson"}},
        {"name": "temporal_extent", "schema": {"type": "array", "subtype": "temporal-interval"},
         "optional": True, "default": ["2024-01-01", "2024-12-31"]},
        {"name": "cloud", "schema": {"type": "integer", "minimum": 0, "maximum": 100},
         "optional": True, "default": 20},
        # The name of the reducer's own parameter: inside the reducer, it is the reducer's.
        {"name": "data", "schema": {"type": "string"}, "optional": True, "default": "outer"},
        {"name": "skip", "schema": {"type": "boolean"}, "optional": True, "default": True},
    ],
    "process_graph": {
        "load": {"process_id": "load_collection", "arguments": {
            "id": "S2", "spatial_extent": {"from_parameter": "geometry"},
            "temporal_extent": {"from_parameter": "temporal_extent"},
            "properties": {"eo:cloud_cover": {"process_graph": {"lte": {
                "process_id": "lte", "result": True,
                "arguments": {"x": {"from_parameter": "value"},
                              "y": {"from_parameter": "cloud"}}}}}},
        }},
        "max": {"process_id": "reduce_dimension", "result": True, "arguments": {
            "data": {"from_node": "load"}, "dimension": "t",
            "reducer": {"process_graph": {"m": {"process_id": "max", "result": True, "arguments": {
                "data": {"from_parameter": "data"}, "ignore_nodata": {"from_parameter": "skip"},
                "limit": {"from_parameter": "cloud"}}}}},
            "context": {"limit": {"from_parameter": "cloud"}}}},
    },
}


def served(document, status: int = 200):
    """A public web server holding one JSON document at ``/process.json``."""
    return scripted_server(lambda seen: Answer(status, body=document)
                           if seen.path == "/process.json" else Answer(404, body={}))


def listed(monkeypatch, *sources: str) -> None:
    monkeypatch.setenv("EOJOBS_OPENEO_PROCESSES", " ".join(sources))


def job_process(account, job_id: str) -> dict:
    return account.session.get(f"{account.url}/jobs/{job_id}").json()["process"]


def test_a_process_listed_by_url_is_a_service_called_by_reference(openeo_env, monkeypatch):
    public = {**PUBLISHED, "id": "web_ndvi"}
    with served(public) as web:
        listed(monkeypatch, web.url + "/process.json")
        with eojobs.connect("openeo") as conn:
            ids = [s.id for s in conn.services()]
            assert ids == ["ndvi", "noregion", "web_ndvi"]
            service = conn.service("web_ndvi")
            assert [o.name for o in service.options] == ["temporal_extent", "cloud", "data",
                                                         "skip"]
            assert service.option("cloud").maximum == 100
            job = conn.create_job("web_ndvi", GLASGOW, options={"cloud": 5})
            assert [s.headers.get("Authorization") for s in web.seen] == [None, None]
    graph = job_process(openeo_env, job.id)["process_graph"]
    assert list(graph) == ["run"]
    node = graph["run"]
    assert node["process_id"] == "web_ndvi"
    assert node["namespace"] == web.url + "/process.json"
    assert node["arguments"]["cloud"] == 5
    assert node["arguments"]["geometry"]["type"] == "Polygon"
    assert job.info.service_name == "web_ndvi"


def test_a_process_listed_as_a_file_is_sent_inline_with_the_values_in(openeo_env, monkeypatch,
                                                                      tmp_path):
    path = tmp_path / "my processes" / "max_ndvi.json"
    path.parent.mkdir()
    path.write_text(json.dumps(PUBLISHED))
    listed(monkeypatch, f"'{path}'")
    with eojobs.connect("openeo") as conn:
        job = conn.create_job("max_ndvi", GLASGOW, options={"cloud": 7}).start_and_wait(
            poll_interval=0.05, progress=False)
        assert job.info.service_name == "max_ndvi"
        assert [j.info.service_name for j in conn.jobs()] == ["max_ndvi"]
        assert conn.job(job.id).info.service_name == "max_ndvi"
    process = job_process(openeo_env, job.id)
    graph = process["process_graph"]
    load = graph["load"]["arguments"]
    assert load["spatial_extent"]["type"] == "Polygon"
    assert load["temporal_extent"] == ["2024-01-01", "2024-12-31"]
    # In a callback, the process's parameters are filled in, but not the callback's own ones;
    # a callback the specs do not describe (load_collection's properties) is left as it is.
    assert load["properties"] == PUBLISHED["process_graph"]["load"]["arguments"]["properties"]
    assert graph["max"]["arguments"]["reducer"]["process_graph"]["m"]["arguments"] == {
        "data": {"from_parameter": "data"}, "ignore_nodata": True, "limit": 7}
    assert graph["max"]["arguments"]["context"] == {"limit": 7}
    assert graph["max"]["arguments"]["data"] == {"from_node": "load"}


def test_a_saved_process_wins_over_a_listed_one_of_the_same_id(openeo_env, monkeypatch,
                                                              tmp_path):
    path = tmp_path / "ndvi.json"
    path.write_text(json.dumps({**PUBLISHED, "id": "ndvi"}))
    listed(monkeypatch, str(path))
    with eojobs.connect("openeo") as conn, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [s.id for s in conn.services()] == ["ndvi", "noregion"]
        assert [o.name for o in conn.service("ndvi").options] == \
            [p["name"] for p in REGION_UDP["parameters"][1:]]
    assert [str(w.message) for w in caught if w.category is ConfigWarning] == [
        f"public process 'ndvi' ({path}) has the id of a process saved on the back-end; "
        "the saved one is used"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda tmp, url: str(tmp / "absent.json"),
     "process definition {tmp}/absent.json does not exist (listed in EOJOBS_OPENEO_PROCESSES)"),
    (lambda tmp, url: _written(tmp, "{not json"), "cannot read process definition {tmp}/p.json"),
    (lambda tmp, url: _written(tmp, json.dumps([1, 2])),
     "{tmp}/p.json is not a process definition: not a JSON object"),
    (lambda tmp, url: _written(tmp, json.dumps({"id": "x", "parameters": "aoi"})),
     "{tmp}/p.json is not a process definition: it has no process_graph, parameters that "
     "are not a list of named objects"),
    (lambda tmp, url: _written(tmp, json.dumps({"id": "x", "process_graph": {"a": 1}})),
     "{tmp}/p.json is not a process definition: it has process_graph nodes without a "
     "process_id"),
    (lambda tmp, url: url + "/missing.json", "GET {url}/missing.json: HTTP 404"),
    (lambda tmp, url: "ftp://example.org/p.json",
     "ftp://example.org/p.json in EOJOBS_OPENEO_PROCESSES is neither an http(s) URL nor a file"),
])
def test_a_bad_listing_says_which_and_why_and_creates_nothing(openeo_env, monkeypatch, tmp_path,
                                                            make, message):
    with served(PUBLISHED) as web:
        listed(monkeypatch, make(tmp_path, web.url))
        with eojobs.connect("openeo") as conn:
            with pytest.raises(eojobs.EOJobsError) as caught:
                conn.services()
            assert message.format(tmp=tmp_path, url=web.url) in str(caught.value)
            with pytest.raises(eojobs.EOJobsError):
                conn.create_job("max_ndvi", GLASGOW)
            assert conn.jobs() == []


def test_the_same_id_listed_twice_is_refused_naming_both(openeo_env, monkeypatch, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        path.write_text(json.dumps(PUBLISHED))
    listed(monkeypatch, str(first), str(second))
    with eojobs.connect("openeo") as conn, pytest.raises(eojobs.ConfigError) as caught:
        conn.services()
    assert str(caught.value) == ("EOJOBS_OPENEO_PROCESSES lists process 'max_ndvi' twice: "
                                 f"in {first} and in {second}")


def test_a_listing_that_cannot_be_split_is_a_bad_setting(openeo_env, monkeypatch):
    listed(monkeypatch, "'unbalanced")
    with pytest.raises(eojobs.ConfigError) as caught:
        eojobs.connect("openeo")
    assert ("bad settings for backend openeo: processes: cannot split \"'unbalanced\" into URLs "
            "and files: No closing quotation") in str(caught.value)


def _written(tmp: Path, text: str) -> str:
    (tmp / "p.json").write_text(text)
    return str(tmp / "p.json")
