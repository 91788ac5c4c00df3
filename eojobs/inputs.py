"""The file inputs of a job: each one known to the service, present, and of its declared type."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from eojobs.errors import InputError
from eojobs.models import Service


def check_inputs(
    service: Service, inputs: Mapping[int | str, str | os.PathLike[str]]
) -> dict[int, Path]:
    """The service's input files by number, each checked: known, present, of its type.

    Raises InputError naming the input and what is wrong, and for a required
    input that is missing.
    """
    files: dict[int, Path] = {}
    for key, value in inputs.items():
        spec = next(
            (i for i in service.inputs if str(i.number) == str(key) or i.name == key), None
        )
        if spec is None:
            if str(key) == "1":
                raise InputError(f"input 1 of {service.name} is the region of interest: "
                                 "give it as the job's region")
            known = ", ".join(f"{i.number} ({i.name})" for i in service.inputs)
            raise InputError(f"{service.name} has no input {key!r}; " + (
                f"its inputs besides the region are: {known}" if known else
                "it takes no input besides the region"))
        path = Path(value).expanduser()
        if path.is_dir():
            raise InputError(f"input {spec.name}: {path} is a folder, not a file")
        if not path.is_file():
            raise InputError(f"input {spec.name}: no such file {path}")
        _check_file_type(spec.name, spec.file_type, path)
        files[spec.number] = path
    for spec in service.inputs:
        if spec.required and spec.number not in files:
            raise InputError(f"{service.name} needs input {spec.number} ({spec.name})")
    return files


#: File name endings each declared input type accepts (GeoTIFF inputs also take the
#: other raster types, and GeoJSON inputs the other vector types, as on Fusion).
FILE_TYPE_ENDINGS = {
    "GeoTIFF": (".tif", ".tiff", ".dem", ".jp2"),
    "GeoJSON": (".geojson", ".json", ".kml", ".kmz", ".zip"),
    "CSV": (".csv",),
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg"),
    "PDF": (".pdf",),
}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: How the content of a file of each ending starts.
_MAGIC = {".tif": _TIFF_MAGIC, ".tiff": _TIFF_MAGIC, ".png": (b"\x89PNG\r\n\x1a\n",),
          ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".pdf": (b"%PDF-",)}


def _check_file_type(name: str, file_type: str, path: Path) -> None:
    """Refuse a file whose ending or content does not fit the input's declared type."""
    endings = FILE_TYPE_ENDINGS.get(file_type)
    if endings is None:
        return
    if not path.name.lower().endswith(endings):
        raise InputError(f"input {name} takes a {file_type} file ({', '.join(endings)}), "
                         f"not {path.name}")
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if not head:
        raise InputError(f"input {name}: {path.name} is empty")
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff") and not head.startswith(_TIFF_MAGIC):
        raise InputError(f"input {name}: {path.name} is not a TIFF file, whatever its name")
    if suffix in _MAGIC and not head.startswith(_MAGIC[suffix]):
        raise InputError(f"input {name}: {path.name} is not a {file_type} file, "
                         "whatever its name")
    if file_type == "CSV" and b"\x00" in head:
        raise InputError(f"input {name}: {path.name} is not a CSV file: it is not text")
