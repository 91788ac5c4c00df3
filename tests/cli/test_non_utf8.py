"""An argument that is not UTF-8 (a file name in another encoding) is one error line (issue 10).

Run through a real process, whose argv holds the raw bytes as a shell would pass them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [
    [b"region", b"\xff.geojson"],
    [b"download", b"3f2a9c1e", b"--dir", b"\xff"],
    [b"run", b"elevation", b"-r", b"caf\xe9.geojson", b"--download", b"out"],
    [b"jobs", b"-b", b"mo\xffck"],
])
def test_a_non_utf8_argument_is_one_line_and_exit_2(args):
    done = subprocess.run([os.fsencode(sys.executable), b"-m", b"eojobs", *args],
                          capture_output=True, env=os.environ.copy(), timeout=120)
    bad = next(a for a in args if not _utf8(a)).decode("utf-8", "backslashreplace")
    assert done.returncode == 2
    assert done.stderr.decode() == (
        f"error: the argument '{bad}' is not valid UTF-8; eojobs takes names and paths in "
        "UTF-8 only (rename the file or folder)\n")
    assert done.stdout == b""


def _utf8(arg: bytes) -> bool:
    try:
        arg.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
