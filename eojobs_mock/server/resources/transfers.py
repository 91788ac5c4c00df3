"""The signed URLs themselves: PUT an upload, GET (or HEAD) a download. No bearer token."""

from __future__ import annotations

import uuid
from typing import Any

from werkzeug.wrappers import Response

from eojobs_mock.server.analysis import analyse
from eojobs_mock.server.app import Call
from eojobs_mock.server.blobs import file_response, receive
from eojobs_mock.server.errors import conflict, not_found
from eojobs_mock.server.routing import ROUTES


@ROUTES.add("PUT", "/uploads/<uuid:file_id>", public=True)
def upload(call: Call, file_id: uuid.UUID) -> dict[str, Any]:
    """Receive the bytes of a file added with ``add_file``, then analyse them."""
    path = f"/uploads/{file_id}"
    args = call.request.args
    call.state.signer.check("PUT", path, args.get("expires"), args.get("signature"))
    data = call.state.data
    record = data.file(str(file_id))
    if record is None:
        raise not_found(f"No file {file_id} is waiting for an upload.")
    if record.size is not None:
        raise conflict(f"File {file_id} has already been uploaded.")
    target = data.path(record.file_id)
    size, sha256 = receive(call.request.stream, call.request.content_length, target)
    data.finish_file(record.file_id, size, sha256,
                     analyse(target, record.file_type, record.file_name))
    return {}


@ROUTES.add("GET", "/blobs/<uuid:file_id>/<path:file_name>", public=True)
def download(call: Call, file_id: uuid.UUID, file_name: str) -> Response:
    """Serve a file (with Range support) until the URL expires."""
    args = call.request.args
    expires = call.state.signer.check("GET", f"/blobs/{file_id}/{file_name}",
                                      args.get("expires"), args.get("signature"))
    return file_response(call.request, call.state.blobs.path(str(file_id), expires), file_name)
