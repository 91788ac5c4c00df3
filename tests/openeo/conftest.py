from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from tests.openeo.harness import Server, start

REGION_UDP = {
    "summary": "Mean NDVI over a region",
    "description": "A small user-defined process for the tests.",
    "process_graph": {"lc": {"process_id": "load_collection", "result": True, "arguments": {
        "id": "S2_FOOBAR", "spatial_extent": {"from_parameter": "aoi"},
        "temporal_extent": None}}},
    "parameters": [
        {"name": "aoi", "description": "area", "schema": {"type": "object", "subtype": "geojson"}},
        {"name": "threshold", "description": "NDVI cut", "optional": True, "default": 0.5,
         "schema": {"type": "number", "minimum": 0, "maximum": 1}},
        {"name": "window", "schema": {"type": "integer", "minimum": 1, "maximum": 9},
         "optional": True, "default": 3},
        {"name": "fail", "schema": {"type": "boolean"}, "optional": True, "default": False},
        {"name": "method", "schema": {"type": "string", "enum": ["mean", "median"]},
         "optional": True, "default": "mean"},
        {"name": "label", "schema": {"type": "string"}, "optional": True, "default": "x"},
        {"name": "day", "schema": {"type": "string", "format": "date"}, "optional": True},
        {"name": "moment", "schema": {"type": "string", "format": "date-time"},
         "optional": True},
        {"name": "bands", "schema": {"type": "array", "items": {"type": "string"}},
         "optional": True, "default": ["B04", "B08"]},
    ],
}
NO_REGION_UDP = {
    "summary": "Takes no region",
    "process_graph": {"c": {"process_id": "constant", "arguments": {"x": 1}, "result": True}},
    "parameters": [{"name": "x", "schema": {"type": "number"}, "optional": True, "default": 1}],
}


@pytest.fixture(scope="session")
def openeo_server(tmp_path_factory) -> Server:
    server = start(tmp_path_factory.mktemp("openeo-results"))
    yield server
    server.shutdown()


class Account:
    """A user of the back-end of its own (the dummy keeps jobs on the class)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.url = server.url + "/openeo/1.2"
        self.username = f"u{uuid.uuid4().hex[:12]}"
        self.password = f"{self.username}123"
        self.session = requests.Session()
        token = self.session.get(self.url + "/credentials/basic",
                                 auth=(self.username, self.password)).json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer basic//{token}"

    def save_process(self, process_id: str, document: dict) -> None:
        answer = self.session.put(f"{self.url}/process_graphs/{process_id}", json=document)
        assert answer.status_code in (200, 201, 204), answer.text

    @property
    def settings(self) -> dict[str, str]:
        return {"url": self.server.url, "username": self.username, "password": self.password}


@pytest.fixture
def account(openeo_server) -> Account:
    user = Account(openeo_server)
    user.save_process("ndvi", REGION_UDP)
    user.save_process("noregion", NO_REGION_UDP)
    return user


@pytest.fixture
def openeo_env(account, monkeypatch) -> Account:
    for key, value in account.settings.items():
        monkeypatch.setenv(f"EOJOBS_OPENEO_{key.upper()}", value)
    return account


@pytest.fixture
def oconn(openeo_env):
    import eojobs

    with eojobs.connect("openeo") as connection:
        yield connection


def files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}
