"""Data items and their files: create, upload URLs, list, copy, rename, delete, download URLs."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eojobs_mock.engine.datastore import UPLOADED, DataItem
from eojobs_mock.server.analysis import FILE_TYPES
from eojobs_mock.server.app import Call
from eojobs_mock.server.bodies import flat_fields, nested_fields
from eojobs_mock.server.data_view import (
    output_file_json,
    output_item_json,
    stored_file_json,
    stored_item_json,
)
from eojobs_mock.server.errors import ApiError, bad_request, conflict, forbidden, not_found
from eojobs_mock.server.paging import built_page, list_page, list_query, page_body
from eojobs_mock.server.routing import ROUTES
from eojobs_mock.server.wire import iso, model_envelope

DATA_FILTERABLE = ("id", "name", "created_at", "updated_at")
FILE_FILTERABLE = ("id", "file_id", "file_name", "file_type", "created_at")
BASE = "/organisations/<uuid:organisation_id>/data"


@dataclass(frozen=True)
class FileSource:
    """A file of any data item: its wire record, where its bytes are, and its preview."""

    record: dict[str, Any]
    path: Path
    preview: FileSource | None = None


def _item_and_files(call: Call, organisation_id: uuid.UUID,
                    data_id: uuid.UUID) -> tuple[dict[str, Any], list[FileSource], DataItem | None]:
    organisation = call.organisation(organisation_id)
    item = call.state.data.item(str(data_id))
    if item is not None and item.organisation_id == organisation:
        records = call.state.data.files(item.id)
        files = [FileSource(stored_file_json(item, r), call.state.data.path(r.file_id))
                 for r in records]
        return stored_item_json(item, records), files, item
    try:
        execution, output, siblings = call.index.output(str(data_id))
    except ApiError:
        raise not_found(f"No data item with id {data_id}.") from None
    record = output_file_json(organisation, execution, output, siblings)
    preview = next((s for s in siblings if s.name == output.metadata.get("preview")), None)
    preview_source = None
    if preview is not None:
        preview_source = FileSource(output_file_json(organisation, execution, preview, siblings),
                                    preview.path)
    files = [FileSource(record, output.path, preview_source)]
    return output_item_json(organisation, execution, output), files, None


def _stored(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID) -> DataItem:
    _, _, item = _item_and_files(call, organisation_id, data_id)
    if item is None:
        raise forbidden(f"Data item {data_id} is an output of an execution: copy it to change it.")
    return item


@ROUTES.add("GET", f"{BASE}/new")
def new_data(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """The template of a new data item (nothing to fill in but the name)."""
    call.organisation(organisation_id)
    return {"model": {}}


@ROUTES.add("POST", BASE)
def create_data(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """Create an empty data item; ``Data[id]`` may choose its id."""
    organisation = call.organisation(organisation_id)
    given = flat_fields(call.request, "Data")
    name = given.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("Data[name] is required")
    chosen = given.get("id")
    if chosen is not None:
        try:
            chosen = str(uuid.UUID(str(chosen)))
        except ValueError:
            raise bad_request(f"Data[id] must be a UUID, got {chosen!r}") from None
    try:
        item = call.state.data.create_item(organisation, name.strip(), item_id=chosen)
    except KeyError:
        raise conflict(f"A data item with id {chosen} already exists.") from None
    return model_envelope(stored_item_json(item, []))


@ROUTES.add("GET", f"{BASE}/uploaded")
def uploaded_data(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """The data items the organisation uploaded (or copied)."""
    organisation = call.organisation(organisation_id)
    query = list_query(call.request.args, DATA_FILTERABLE)
    entries = [(f"{iso(i.created_at)}|{i.id}", i)
               for i in call.state.data.items(organisation, UPLOADED)]
    return page_body(*built_page(
        entries, lambda i: stored_item_json(i, call.state.data.files(i.id)), query, ("name",)))


@ROUTES.add("GET", f"{BASE}/<uuid:data_id>")
def get_data(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID) -> dict[str, Any]:
    """One data item: uploaded, copied, a job's input, or an execution's output."""
    item, _, _ = _item_and_files(call, organisation_id, data_id)
    return model_envelope(item)


@ROUTES.add("PATCH", f"{BASE}/<uuid:data_id>")
def patch_data(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID) -> dict[str, Any]:
    """Rename a data item (its name is the only writable field)."""
    item = _stored(call, organisation_id, data_id)
    given = flat_fields(call.request, "Data")
    if "name" in given:
        if not isinstance(given["name"], str) or not given["name"].strip():
            raise bad_request("Data[name] must be a non-empty string")
        call.state.data.rename(item.id, given["name"].strip())
    return get_data(call, organisation_id, data_id)


@ROUTES.add("DELETE", f"{BASE}/<uuid:data_id>")
def delete_data(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID) -> dict[str, Any]:
    """Delete a data item and its files, unless a process uses it."""
    item = _stored(call, organisation_id, data_id)
    users = [j for j in call.state.records.jobs_using(item.id)
             if call.state.platform.store.get_job(j) is not None]
    if users:
        raise conflict(f"Data item {item.id} is an input of process {users[0]}: delete the "
                       "process first.")
    call.state.data.delete_item(item.id)
    return {}


@ROUTES.add("POST", f"{BASE}/<uuid:data_id>/add_file")
def add_file(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID) -> dict[str, Any]:
    """Add a file record to a data item and hand out a signed URL to PUT its bytes to."""
    item = _stored(call, organisation_id, data_id)
    given = nested_fields(call.request, "Data")
    name, file_type = given.get("name"), given.get("file_type")
    if not isinstance(name, str) or not name.strip() or "/" in name or not name.isprintable():
        raise bad_request("Data name must be a file name (without a directory)")
    if file_type not in FILE_TYPES:
        raise bad_request(f"Data file_type must be one of {', '.join(FILE_TYPES)}; "
                          f"got {file_type!r}")
    if call.state.records.jobs_using(item.id):
        raise conflict(f"Data item {item.id} is used by a process: its files cannot change.")
    record = call.state.data.add_file(item.id, name, file_type)
    url = call.state.signer.url(call.base_url, "PUT", f"/uploads/{record.file_id}")
    return {"extras": {"file": record.file_id, "url": url}}


@ROUTES.add("GET", f"{BASE}/<uuid:data_id>/files")
def data_files(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID) -> dict[str, Any]:
    """The files of a data item."""
    _, files, _ = _item_and_files(call, organisation_id, data_id)
    query = list_query(call.request.args, FILE_FILTERABLE)
    items = [(f"{n:06d}", f.record) for n, f in enumerate(files)]
    return page_body(*list_page(items, query, ("file_name",)))


@ROUTES.add("POST", f"{BASE}/<uuid:data_id>/copy")
def copy_data(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID) -> dict[str, Any]:
    """Copy a data item (an output too) into a new uploaded item with its own files."""
    _, files, _ = _item_and_files(call, organisation_id, data_id)
    name = nested_fields(call.request, "Data").get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("Data name is required")
    if any(f.record.get("size") is None for f in files):
        raise conflict(f"Data item {data_id} is still being uploaded.")
    data = call.state.data
    copy = data.create_item(call.state.organisation_id, name.strip())
    for source in files:
        record = data.add_file(copy.id, source.record["file_name"], source.record["file_type"])
        target = data.path(record.file_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source.path, target)
        except OSError:
            shutil.copyfile(source.path, target)
        analysis = {k: v for k, v in source.record.items()
                    if k in ("publishable", "error", "crs", "bounds", "area", "points", "lines",
                             "polygons", "number_of_ingesters", "ingesters", "geojson",
                             "resolution", "selectors")}
        sha = data.file(source.record["file_id"])
        data.finish_file(record.file_id, int(source.record["size"]),
                         sha.sha256 if sha and sha.sha256 else "", analysis)
    return model_envelope(stored_item_json(copy, data.files(copy.id)))


@ROUTES.add("GET", f"{BASE}/<uuid:data_id>/download_file/<uuid:file_id>")
def download_file(call: Call, organisation_id: uuid.UUID, data_id: uuid.UUID,
                  file_id: uuid.UUID) -> dict[str, Any]:
    """A signed URL to download a file (or its PNG preview with ``preview=True``)."""
    preview = call.request.args.get("preview", "False")
    if preview not in ("True", "False"):
        raise bad_request(f"preview must be True or False, got {preview!r}")
    _, files, _ = _item_and_files(call, organisation_id, data_id)
    source = next((f for f in files if f.record["file_id"] == str(file_id)), None)
    if source is None:
        raise not_found(f"Data item {data_id} has no file {file_id}.")
    if preview == "True":
        if source.preview is None:
            raise bad_request(f"File {file_id} has no preview.")
        source = source.preview
    if source.record.get("size") is None:
        raise conflict(f"File {file_id} has not been uploaded yet.")
    signer = call.state.signer
    expires = signer.expiry()
    blob_id = source.record["file_id"]
    call.state.blobs.publish(source.path, blob_id, expires)
    url = signer.url(call.base_url, "GET", f"/blobs/{blob_id}/{source.record['file_name']}",
                     expires)
    return {"extras": {"url": url}}

