"""Finds the installed entry points of one group without importing importlib.metadata.

importlib.metadata pulls in the email package and costs about 25 ms at
start-up, a third of `eojobs --help`. Entry points only need the
``entry_points.txt`` file of each distribution on ``sys.path``; this reads
those, with the same rule importlib.metadata has: the first distribution of
a name on the path wins. A test checks both agree.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Iterable


def entry_points(group: str, path: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """``(name, "module:attr")`` pairs of every entry point in ``group``."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    for folder in sys.path if path is None else path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist = name.rsplit(".", 1)[0].split("-", 1)[0].lower().replace(".", "_")
            if dist in seen:
                continue
            seen.add(dist)
            text = _read(os.path.join(folder or ".", name, "entry_points.txt"))
            if text is None:
                continue
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            try:
                parser.read_string(text)
            except configparser.Error:
                continue
            if parser.has_section(group):
                for key, value in parser.items(group):
                    found.setdefault(key, value.strip())
    return sorted(found.items())


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None
