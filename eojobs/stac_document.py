"""One STAC document for a job's results: the back-end's own where it keeps one.

A back-end that returns STAC (openEO's job results, a STAC API's items) has
its document given back as it came; only the hrefs of files that were
downloaded into a folder are pointed at them. For the others eojobs builds an
ItemCollection of one Item per file (see :mod:`eojobs.stac`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eojobs.job import Result

Json = dict[str, Any]


def document(result: Result, directory: Path | None = None) -> Json:
    """The STAC document of ``result``; with ``directory``, hrefs of files downloaded there.

    A file counts as downloaded when the folder's manifest says this job's
    download wrote it and it is unchanged since.
    """
    own = result.job.connection.backend.stac_results(result.job.id)
    local = downloaded(result, directory) if directory is not None else {}
    if isinstance(own, dict):
        out = copy.deepcopy(own)
        for asset in _assets(out):
            href = asset.get("href")
            if isinstance(href, str) and href in local:
                asset["href"] = local[href]
        return out
    return _built(result, directory, local)


def downloaded(result: Result, directory: Path) -> dict[str, str]:
    """Each asset href whose file this job's download left in ``directory``: its absolute path."""
    from eojobs.manifest import Manifest
    from eojobs.naming import UnsafeName

    manifest = Manifest(directory)
    found = {}
    for asset in result.assets:
        try:
            dest = directory / result.relative_path(asset)
        except UnsafeName:
            continue
        entry = manifest.entry(dest)
        if entry and entry.get("job") in (None, result.job.id) and manifest.unchanged(dest, entry):
            found[asset.href] = str(dest.resolve())
    return found


def _built(result: Result, directory: Path | None, local: dict[str, str]) -> Json:
    """An ItemCollection of eojobs' own items, whose hrefs are the files or their sources."""
    from eojobs import stac
    from eojobs.naming import UnsafeName

    features = []
    for asset in result.assets:
        try:
            entry = stac.item(result, asset, directory)
        except UnsafeName:
            continue
        entry["links"] = []
        entry.pop("collection", None)  # no collection file goes with an ItemCollection
        entry["assets"]["data"]["href"] = local.get(asset.href, asset.href)
        thumbnail = entry["assets"].get("thumbnail")
        preview = stac.preview_of(result, asset)
        if thumbnail is not None and preview is not None:
            thumbnail["href"] = local.get(preview.href, preview.href)
        features.append(entry)
    # Through JSON and back, so geometries hold lists, not shapely's tuples.
    return json.loads(json.dumps({"type": "FeatureCollection", "features": features}))


def _assets(doc: Json) -> Iterator[Json]:
    """The asset objects of an Item, a Collection or an ItemCollection."""
    parts = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    for part in parts if isinstance(parts, list) else []:
        assets = part.get("assets") if isinstance(part, dict) else None
        if isinstance(assets, dict):
            yield from (a for a in assets.values() if isinstance(a, dict))
