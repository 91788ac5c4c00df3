from __future__ import annotations

import hashlib
import os
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from eojobs_mock.server.auth import derive_key, workspace_secret
from eojobs_mock.server.signing import UrlSigner
from tests.server.conftest import Api

CONTENT = os.urandom(300_000)


@pytest.fixture
def stored(api: Api) -> tuple[str, str]:
    return api.upload(CONTENT, name="blob.bin", file_type="Other", data_name="blob")


def download_url(api: Api, data_id: str, file_id: str, preview: str = "False") -> str:
    return api.call("GET", api.org_path(f"/data/{data_id}/download_file/{file_id}"),
                    params={"preview": preview})["extras"]["url"]


def resign(url: str, user_dir, method: str, *, expires: int) -> str:
    """The same URL signed with the workspace secret, but expiring at ``expires``."""
    parts = urlsplit(url)
    signer = UrlSigner(derive_key(workspace_secret(user_dir / "mock"), "url"), 60, lambda: 0)
    query = urlencode({"expires": expires,
                       "signature": signer.signature(method, parts.path, expires)})
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{query}"


def test_upload_urls_are_absolute_signed_and_need_no_token(api: Api, user_dir):
    data_id = api.call("POST", api.org_path("/data"), body={"Data[name]": "u"})["model"]["id"]
    extras = api.call("POST", api.org_path(f"/data/{data_id}/add_file"),
                      body={"Data": {"name": "u.bin", "file_type": "Other"}})["extras"]
    url = extras["url"]
    assert url.startswith(api.url) and set(parse_qs(urlsplit(url).query)) == {"expires",
                                                                              "signature"}
    tampered = url.replace("signature=", "signature=0")
    assert requests.put(tampered, data=b"x").status_code == 403
    expired = resign(url, user_dir, "PUT", expires=1000)
    response = requests.put(expired, data=b"x")
    assert response.status_code == 403 and "expired" in response.json()["error_message"]
    chunked = requests.put(url, data=iter([b"abc"]))
    assert chunked.status_code == 411
    assert requests.put(url, data=b"hello").json() == {}
    assert requests.put(url, data=b"again").status_code == 409
    record = api.every(api.org_path(f"/data/{data_id}/files"))[0]
    assert record["size"] == 5 and record["file_id"] == extras["file"]


def test_downloads_need_no_token_and_carry_etag_and_accept_ranges(api: Api, stored):
    url = download_url(api, *stored)
    response = requests.get(url)
    assert response.status_code == 200 and response.content == CONTENT
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Length"] == str(len(CONTENT))
    etag = response.headers["ETag"]
    assert etag.startswith('"')
    assert requests.get(url, headers={"If-None-Match": etag}).status_code == 304
    head = requests.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(CONTENT))


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-99", 0, 99), ("bytes=1000-", 1000, len(CONTENT) - 1),
    ("bytes=-10", len(CONTENT) - 10, len(CONTENT) - 1),
    ("bytes=299990-400000", 299990, len(CONTENT) - 1),
])
def test_range_requests_get_206_with_content_range(api: Api, stored, header, start, end):
    response = requests.get(download_url(api, *stored), headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response.content == CONTENT[start:end + 1]


def test_unsatisfiable_ranges_and_if_range(api: Api, stored):
    url = download_url(api, *stored)
    outside = requests.get(url, headers={"Range": f"bytes={len(CONTENT)}-"})
    assert outside.status_code == 416
    assert outside.headers["Content-Range"] == f"bytes */{len(CONTENT)}"
    etag = requests.head(url).headers["ETag"]
    same = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and same.content == CONTENT[:10]
    changed = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert changed.status_code == 200 and changed.content == CONTENT


def test_tampered_and_expired_download_urls_are_refused(api: Api, stored, user_dir):
    url = download_url(api, *stored)
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert requests.get(url.replace(f"expires={expires}", f"expires={expires + 1}")).status_code \
        == 403
    other_name = url.replace("/blob.bin?", "/other.bin?")
    assert requests.get(other_name).status_code == 403
    assert requests.get(url.split("?")[0]).status_code == 403
    response = requests.get(resign(url, user_dir, "GET", expires=1000))
    assert response.status_code == 403 and "expired" in response.json()["error_message"]


def test_download_urls_outlive_the_deleted_data_item(api: Api, stored):
    url = download_url(api, *stored)
    assert api.call("DELETE", api.org_path(f"/data/{stored[0]}")) == {}
    assert api.error("GET", api.org_path(f"/data/{stored[0]}"), 404)
    again = requests.get(url)
    assert again.status_code == 200
    assert hashlib.sha256(again.content).digest() == hashlib.sha256(CONTENT).digest()


def test_download_file_parameters_are_checked(api: Api, stored):
    data_id, file_id = stored
    path = api.org_path(f"/data/{data_id}/download_file/{file_id}")
    assert "preview must be True or False" in api.error("GET", path, 400,
                                                        params={"preview": "false"})
    assert "no preview" in api.error("GET", path, 400, params={"preview": "True"})
    missing = "00000000-0000-4000-8000-000000000000"
    assert api.error("GET", api.org_path(f"/data/{data_id}/download_file/{missing}"), 404)
    waiting = api.call("POST", api.org_path(f"/data/{data_id}/add_file"),
                       body={"Data": {"name": "later.bin", "file_type": "Other"}})["extras"]
    assert "not been uploaded" in api.error(
        "GET", api.org_path(f"/data/{data_id}/download_file/{waiting['file']}"), 409)


def test_add_file_checks_its_body(api: Api, stored):
    path = api.org_path(f"/data/{stored[0]}/add_file")
    assert "file_type" in api.error("POST", path, 400,
                                    body={"Data": {"name": "a.x", "file_type": "Word"}})
    assert "file name" in api.error("POST", path, 400,
                                    body={"Data": {"name": "a/b.x", "file_type": "Other"}})
