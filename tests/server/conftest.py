"""A small test client for the mock server's wire protocol, written from the protocol document.

It is deliberately separate from eojobs_fusion: the tests check the server
against the protocol, and the official SDK checks both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.conftest import GLASGOW

BIG = {"type": "Polygon", "coordinates": [[[-4.0, 54.0], [-3.0, 54.0], [-3.0, 54.6],
                                           [-4.0, 54.6], [-4.0, 54.0]]]}


class Api:
    """A logged-in session against one server, with helpers for the common steps."""

    def __init__(self, url: str, email: str, password: str) -> None:
        self.url = url
        self.http = requests.Session()
        tokens = self.call("POST", "/users/login", token=False, body={
            "User": {"email": email, "user_id": None, "password": password}})
        self.tokens = tokens
        self.user_id = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"]
        self.http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        user = self.call("GET", f"/users/{self.user_id}")["model"]
        self.org = user["organisations"][0]["id"]

    def raw(self, method: str, path: str, *, body: Any = None, params: Any = None,
            token: bool = True, headers: dict[str, str] | None = None) -> requests.Response:
        """Send one request as the SDK does (JSON text body, Content-Type header)."""
        send = {"Content-Type": "application/json", **(headers or {})}
        if not token:
            send["Authorization"] = None  # type: ignore[assignment]
        data = None if body is None else body if isinstance(body, str) else json.dumps(body)
        return self.http.request(method, f"{self.url}{path}", data=data, params=params,
                                 headers=send)

    def call(self, method: str, path: str, *, status: int = 200, **kwargs: Any) -> Any:
        """Send a request, check its status, and return its JSON body."""
        response = self.raw(method, path, **kwargs)
        assert response.status_code == status, (response.status_code, response.text)
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()

    def error(self, method: str, path: str, status: int, **kwargs: Any) -> str:
        """The error message of a request expected to fail with ``status``."""
        body = self.call(method, path, status=status, **kwargs)
        assert list(body) == ["error_message"]
        return str(body["error_message"])

    def org_path(self, rest: str) -> str:
        """A path under the organisation."""
        return f"/organisations/{self.org}{rest}"

    def every(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a collection, following ``last`` page by page."""
        items: list[dict[str, Any]] = []
        query = {"limit": 24, "reverse": "False", **params}
        for _ in range(1000):
            page = self.call("GET", path, params=query)
            items.extend(page.get("list", []))
            last = page.get("last")
            if not last:
                return items
            query = {**{k: v for k, v in query.items() if not k.startswith("last[")},
                     **{f"last[{k}]": v for k, v in last.items()}}
        raise AssertionError("the collection never ended")

    def upload(self, content: bytes, name: str = "glasgow.geojson", file_type: str = "GeoJSON",
               data_name: str = "Glasgow") -> tuple[str, str]:
        """Create a data item with one uploaded file; its data id and file id."""
        data_id = self.call("POST", self.org_path("/data"),
                            body={"Data[organisation_id]": self.org,
                                  "Data[name]": data_name})["model"]["id"]
        extras = self.call("POST", self.org_path(f"/data/{data_id}/add_file"),
                           body={"Data": {"name": name, "file_type": file_type}})["extras"]
        put = requests.put(extras["url"], data=content)
        assert put.status_code == 200, put.text
        return data_id, extras["file"]

    def region(self, path: Path = GLASGOW) -> str:
        """A data item holding a GeoJSON region."""
        return self.upload(path.read_bytes())[0]

    def service(self, name: str) -> dict[str, Any]:
        """A latest service by exact name."""
        found = self.every(self.org_path("/services/latest"), **{"filter[name__eq]": name})
        assert len(found) == 1, found
        return found[0]

    def template(self, service: str) -> dict[str, Any]:
        """``processes/new`` for a service name: the model and extras."""
        return self.call("GET", self.org_path("/processes/new"),
                         params={"service_id": self.service(service)["id"]})

    def create(self, service: str = "Elevation", region: str | None = None,
               options: dict[str, str | None] | None = None, status: int = 200,
               **fields: Any) -> Any:
        """Create a process from a template, as the SDK does (flat body of the whole model)."""
        template = self.template(service)["model"]
        if region is not None:
            template["inputs"][0]["id"] = region
        for option in template["options"]:
            if options and option["name"] in options:
                option["value"] = options[option["name"]]
        body = {f"Process[{k}]": v for k, v in {**template, "name": "test",
                                                "organisation_id": self.org,
                                                **fields}.items()}
        result = self.call("POST", self.org_path("/processes"), body=body, status=status)
        return result["model"] if status == 200 else result["error_message"]

    def execute(self, process_id: str) -> dict[str, Any]:
        """Execute a process; the process model of the response."""
        return self.call("POST", self.org_path(f"/processes/{process_id}/execute"))["model"]


@pytest.fixture
def api(mock_server) -> Api:
    return Api(mock_server.url, mock_server.email, mock_server.password)
