"""Replacing a small file's content all at once: readers see the old text or the new, never half.

The text goes to a temporary file beside the target, which then takes the
target's name; the temporary file is removed whatever fails on the way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_text(path: Path, text: str, mode: int | None = None) -> None:
    """Make ``text`` the content of ``path`` atomically; ``mode`` (such as 0o600) before any byte.

    A file given a mode is never readable by others, not even for an instant.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
