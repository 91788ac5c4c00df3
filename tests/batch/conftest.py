"""Campaign inputs on disk, and checks that a campaign's files are all there."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import eojobs
from eojobs.batch import Campaign


def square(i: int, size: float = 0.01) -> dict[str, Any]:
    """A small square near Glasgow, a different one for each ``i``."""
    x, y = -4.3 + (i % 10) * 0.02, 55.8 + (i // 10) * 0.02
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature_collection(path: Path, count: int, start: int = 0) -> Path:
    """A FeatureCollection of ``count`` squares keyed ``f<i>``."""
    features = [{"type": "Feature", "properties": {"key": f"f{i:03d}"}, "geometry": square(i)}
                for i in range(start, start + count)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` and its bytes (the database by its rows), to show nothing
    changed."""
    import sqlite3

    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file() and not p.name.startswith("campaign.db")}
    db = sqlite3.connect(folder / "campaign.db")
    files["rows"] = repr(db.execute("SELECT * FROM batch_rows ORDER BY seq").fetchall()).encode()
    files["campaign"] = repr(db.execute("SELECT * FROM batch_campaigns").fetchall()).encode()
    db.close()
    return files


def check_downloads(campaign: Campaign, conn: eojobs.Connection) -> None:
    """Every done row's folder holds exactly its job's files, of the size and checksum given."""
    for row in campaign.rows():
        assert row.state == "done", (row.key, row.state, row.error)
        folder = campaign.row_dir(row.key)
        manifest = json.loads((folder / ".eojobs" / "manifest.json").read_text())
        assets = conn.backend.list_assets(row.job_id)
        assert assets and len(manifest) == len(assets) == row.files
        for name, entry in manifest.items():
            data = (folder / name).read_bytes()
            assert entry["job"] == row.job_id
            assert len(data) == entry["size"]
            if "sha256" in entry:
                assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        sizes = sorted(entry["size"] for entry in manifest.values())
        assert sizes == sorted(a.size for a in assets if a.size is not None) or \
            any(a.size is None for a in assets)
