"""Download one file of a Fusion data item with the download engine; run as a child process.

Usage: python fetch_file.py DATA_ID FILE_ID NAME SIZE DEST

The Fusion backend's settings come from EOJOBS_FUSION_*. Exits 0 when the
file arrived whole, 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import eojobs
from eojobs.download import download_assets
from eojobs.models import Asset


def main(data_id: str, file_id: str, name: str, size: str, dest: str) -> int:
    """Fetch the file to ``dest``, resuming a partial file an earlier run left."""
    target = Path(dest)
    asset = Asset(name=name, size=int(size), execution_id="-", href=f"{data_id}/{file_id}")
    with eojobs.connect("fusion") as conn:
        report = download_assets([(asset, target)], conn.backend.open_asset, parallel=1,
                                 progress=False, manifest_dir=target.parent)
    for path, reason in report.failed:
        print(f"failed: {path}: {reason}", file=sys.stderr)
    return 0 if report.ok and report.done else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
