"""Public process definitions the user lists (``EOJOBS_OPENEO_PROCESSES``): by URL or file.

openEO back-ends publish ready-made algorithms as process definitions (a
JSON document with ``id``, ``parameters`` and ``process_graph``). One listed
by URL is called by reference: its node names the URL as ``namespace``
(openEO's remote process definitions), so the back-end reads the current
version itself. One listed as a file cannot be read by the back-end, so its
graph is sent inline, its parameters replaced by the job's values.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from eojobs.errors import BackendError, ConfigError
from eojobs.http import HttpPolicy, checked_http_url, json_or_error, send
from eojobs.redact import redact_url
from eojobs_openeo.client import error_message

Json = dict[str, Any]
#: The largest process definition file read.
MAX_FILE_BYTES = 8 << 20


@dataclass(frozen=True)
class PublicProcess:
    """A process definition and where it was listed: an ``http(s)`` URL, or a file path."""

    definition: Json
    source: str

    @property
    def id(self) -> str:
        """The process's id."""
        return str(self.definition["id"])

    @property
    def by_url(self) -> bool:
        """Whether the back-end can read the definition itself, from its URL."""
        return self.source.startswith(("http://", "https://"))


def sources(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The listed URLs and files: a list, or one string of them separated by spaces.

    A path with a space in it is quoted, as in a shell.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value, posix=os.name != "nt"))
        except ValueError as exc:
            raise ValueError(f"cannot split {value!r} into URLs and files: {exc}") from None
    return tuple(str(v) for v in value)


def load(listed: Iterable[str], session: requests.Session,
         policy: HttpPolicy) -> dict[str, PublicProcess]:
    """Every listed definition by its id; a bad one is a ConfigError naming its source."""
    found: dict[str, PublicProcess] = {}
    for source in listed:
        process = PublicProcess(_read(source, session, policy), source)
        earlier = found.get(process.id)
        if earlier is not None:
            raise ConfigError(f"EOJOBS_OPENEO_PROCESSES lists process {process.id!r} twice: "
                              f"in {_shown(earlier.source)} and in {_shown(source)}")
        found[process.id] = process
    return found


def _read(source: str, session: requests.Session, policy: HttpPolicy) -> Json:
    shown = _shown(source)
    if source.startswith(("http://", "https://")):
        url = checked_http_url(source, "https://example.org/processes/ndvi.json")
        response = send(session, policy, "GET", url, what=f"GET {shown}")
        body = json_or_error(response, error_message, f"GET {shown}")
    elif "://" in source:
        raise ConfigError(f"{shown} in EOJOBS_OPENEO_PROCESSES is neither an http(s) URL nor "
                          "a file")
    else:
        path = Path(source).expanduser()
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ConfigError(f"process definition {shown} is larger than 8 MiB")
            body = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"process definition {shown} does not exist (listed in "
                              "EOJOBS_OPENEO_PROCESSES)") from None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ConfigError(f"cannot read process definition {shown}: "
                              f"{getattr(exc, 'strerror', None) or exc}") from None
    return _checked(body, shown)


def _checked(body: Any, shown: str) -> Json:
    if not isinstance(body, dict):
        raise BackendError(f"{shown} is not a process definition: not a JSON object")
    problems = []
    if not isinstance(body.get("id"), str) or not body["id"]:
        problems.append("no id")
    if not isinstance(body.get("process_graph"), dict) or not body["process_graph"]:
        problems.append("no process_graph")
    graph = body.get("process_graph")
    if isinstance(graph, dict) and not all(
            isinstance(n, dict) and isinstance(n.get("process_id"), str) for n in graph.values()):
        problems.append("process_graph nodes without a process_id")
    parameters = body.get("parameters", [])
    if not isinstance(parameters, list) or not all(
            isinstance(p, dict) and isinstance(p.get("name"), str) for p in parameters):
        problems.append("parameters that are not a list of named objects")
    if problems:
        raise BackendError(f"{shown} is not a process definition: it has {', '.join(problems)}")
    return body


def _shown(source: str) -> str:
    return redact_url(source) if source.startswith(("http://", "https://")) else source


#: The parameters a callback argument of a process gets: ``(process id, argument)`` to names,
#: or None where the process is unknown.
CallbackParameters = Callable[[str, str], "frozenset[str] | None"]


def call(process: PublicProcess, arguments: Json, callbacks: CallbackParameters) -> Json:
    """The job's ``process``: a node naming the URL, or the file's graph with values in.

    In a callback (a child process graph), a name that is one of the
    callback's own parameters is left alone; so is every name in a callback
    of a process ``callbacks`` does not know.
    """
    if process.by_url:
        return {"process_graph": {"run": {"process_id": process.id, "namespace": process.source,
                                          "arguments": arguments, "result": True}}}
    values = {str(p["name"]): p.get("default") for p in process.definition.get("parameters", [])}
    values.update(arguments)
    return {"id": process.id,
            "process_graph": _graph(process.definition["process_graph"], values, callbacks)}


def callback_parameters(specs: Iterable[Json]) -> dict[tuple[str, str], frozenset[str]]:
    """From the back-end's process specs (``GET /processes``): each callback's parameters."""
    found = {}
    for spec in specs:
        for parameter in spec.get("parameters") or []:
            if not isinstance(parameter, dict):
                continue
            schema = parameter.get("schema")
            names = {str(p.get("name")) for s in (schema if isinstance(schema, list) else [schema])
                     if isinstance(s, dict) and s.get("subtype") == "process-graph"
                     for p in s.get("parameters") or [] if isinstance(p, dict)}
            if names:
                found[(str(spec.get("id")), str(parameter.get("name")))] = frozenset(names)
    return found


def _graph(graph: Json, values: Json, callbacks: CallbackParameters) -> Json:
    out = {}
    for key, node in graph.items():
        arguments = node.get("arguments") if isinstance(node, dict) else None
        if not isinstance(arguments, dict):  # the back-end will say what is wrong with it
            out[key] = node
            continue
        out[key] = {**node, "arguments": {
            name: _filled(value, values, callbacks, (str(node.get("process_id")), name))
            for name, value in arguments.items()}}
    return out


def _filled(value: Any, values: Json, callbacks: CallbackParameters,
            argument: tuple[str, str]) -> Any:
    """``value`` with each ``{"from_parameter": name}`` whose name has a value replaced."""
    if isinstance(value, dict):
        if set(value) == {"from_parameter"} and value["from_parameter"] in values:
            return values[value["from_parameter"]]
        child = value.get("process_graph")
        if isinstance(child, dict):
            own = callbacks(*argument)
            inner = {} if own is None else {k: v for k, v in values.items() if k not in own}
            return {**value, "process_graph": _graph(child, inner, callbacks)}
        return {k: _filled(v, values, callbacks, argument) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, values, callbacks, argument) for v in value]
    return value
