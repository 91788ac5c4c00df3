from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import eojobs
from tests.stac.servers import FileServer, RustacServer, collection, item, multihash

S2 = "sentinel-2-l2a"
#: Over Glasgow (the test region), and a box further north that Glasgow does not meet.
SOUTH = [-5.0, 55.0, -3.0, 57.0]
NORTH = [-6.0, 57.5, -5.0, 58.0]
#: Items of S2: the first 20 over SOUTH, the last 5 over NORTH; day n of May, cloud 4n %.
S2_ITEMS = 25
S2_SOUTH = 20


def payload(name: str, size: int) -> bytes:
    """The bytes of one test file: different for every name."""
    seed = (name * 7).encode()
    return (seed * (size // len(seed) + 1))[:size]


def asset(url: str, data: bytes, media_type: str = "image/tiff; application=geotiff",
          checksum: str | None = None, **extra: object) -> dict:
    return {"href": url, "type": media_type, "roles": ["data"], "file:size": len(data),
            "file:checksum": checksum or multihash(data), **extra}


@dataclass
class Catalogue:
    """The running servers: the STAC API (``url``) and the file server (``files``)."""

    url: str
    files: FileServer
    sizes: dict[str, int]


def build(files: FileServer) -> tuple[list[dict], list[dict], dict[str, int]]:
    """The collections and items of the test catalogue, their files added to ``files``."""
    sizes: dict[str, int] = {}

    def serve(name: str, size: int) -> tuple[str, bytes]:
        data = payload(name, size)
        sizes[name] = size
        return files.add(name, data), data

    collections = [
        collection(S2, [-6.0, 55.0, -3.0, 58.0], "2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z",
                   item_assets={"B04": {"title": "Red", "type": "image/tiff"},
                                "B08": {"title": "NIR", "type": "image/tiff"}},
                   summaries={"platform": ["sentinel-2a", "sentinel-2b"],
                              "eo:cloud_cover": {"minimum": 0, "maximum": 100}}),
        collection("archive", SOUTH, "2020-01-01T00:00:00Z", None),
        collection("faults", SOUTH, "2020-01-01T00:00:00Z", None),
    ]
    items = []
    for n in range(S2_ITEMS):
        iid = f"S2_{n:02d}"
        assets = {}
        for key in ("B04", "B08"):
            url, data = serve(f"{iid}_{key}.tif", 1000 + 37 * n)
            assets[key] = asset(url, data)
        items.append(item(iid, S2, SOUTH if n < S2_SOUTH else NORTH,
                          f"2024-05-{n + 1:02d}T10:30:00Z", assets,
                          **{"eo:cloud_cover": 4 * n, "platform": "sentinel-2a"}))
    url, data = serve("cold.bin", 5000)
    items.append(item("cold", "archive", SOUTH, "2021-06-01T00:00:00Z",
                      {"data": asset(url, data, "application/octet-stream",
                                     **{"storage:tier": "archive"})},
                      links=[{"rel": "order", "href": f"{files.url}/order/cold.bin",
                              "method": "POST"}]))
    url, data = serve("staged.bin", 3000)
    items.append(item("staged", "archive", SOUTH, "2021-06-02T00:00:00Z",
                      {"data": asset(url, data, "application/octet-stream",
                                     **{"order:status": "ordered"})}))
    url, data = serve("plain.bin", 4000)
    items.append(item("plain", "faults", SOUTH, "2021-01-01T00:00:00Z",
                      {"data": asset(url, data, "application/octet-stream")}))
    data = payload("gone.bin", 100)
    items.append(item("gone", "faults", SOUTH, "2021-01-02T00:00:00Z",
                      {"data": asset(f"{files.url}/files/gone.bin", data,
                                     "application/octet-stream")}))
    url, data = serve("corrupt.bin", 2000)
    items.append(item("corrupt", "faults", SOUTH, "2021-01-03T00:00:00Z",
                      {"data": asset(url, data, "application/octet-stream",
                                     checksum=multihash(b"other bytes"))}))
    url, data = serve("big.bin", 3 << 20)
    items.append(item("big", "faults", SOUTH, "2021-01-04T00:00:00Z",
                      {"data": asset(url, data, "application/octet-stream")}))
    return collections, items, sizes


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory) -> Iterator[Catalogue]:
    files = FileServer(tmp_path_factory.mktemp("stac-files")).start()
    collections, items, sizes = build(files)
    server = RustacServer(tmp_path_factory.mktemp("stac-api"), collections, items)
    try:
        yield Catalogue(server.url, files, sizes)
    finally:
        server.stop()
        files.stop()


@pytest.fixture
def stac(catalogue, monkeypatch) -> Catalogue:
    """The catalogue, with ``-b stac`` pointed at it and no faults left from another test."""
    catalogue.files.reset()
    monkeypatch.setenv("EOJOBS_STAC_URL", catalogue.url)
    return catalogue


@pytest.fixture
def sconn(stac) -> Iterator[eojobs.Connection]:
    with eojobs.connect("stac") as connection:
        yield connection


def tree(directory: Path) -> dict[str, bytes]:
    """The files below ``directory`` (not eojobs' bookkeeping), by relative path."""
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*"))
            if p.is_file() and ".eojobs" not in p.relative_to(directory).parts}
