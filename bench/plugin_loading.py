"""Loading the plugins: eojobs' own entry-point reader against pluggy's, in the same run.

Usage: python bench/plugin_loading.py [--runs N]

Each timing is a fresh interpreter that imports pluggy and eojobs' hook
specifications, then loads every plugin of the ``eojobs`` entry-point group:
once with ``eojobs.plugins.load_plugins`` (reads ``entry_points.txt`` files
itself) and once with pluggy's ``load_setuptools_entrypoints`` (through
``importlib.metadata``). The reference is the same interpreter importing the
same modules and loading nothing. It prints medians and the ratio of each to
the reference; the cost of ``importlib.metadata`` grows with the number of
installed distributions, so the figure depends on the environment.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

IMPORTS = "import pluggy, eojobs.hookspecs\n"
CASES = {
    "reference: imports only": IMPORTS,
    "eojobs.plugins.load_plugins": IMPORTS + "from eojobs.plugins import load_plugins\n"
                                   "load_plugins()\n",
    "pluggy load_setuptools_entrypoints": IMPORTS + (
        "pm = pluggy.PluginManager('eojobs')\n"
        "pm.add_hookspecs(eojobs.hookspecs)\n"
        "pm.load_setuptools_entrypoints('eojobs')\n"),
}


def median_ms(code: str, runs: int) -> float:
    """The median wall-clock time of ``python -c code``, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    # Interleaving would be fairer on a noisy machine; one warm-up run evens the caches.
    for code in CASES.values():
        median_ms(code, 1)
    found = {name: median_ms(code, runs) for name, code in CASES.items()}
    reference = found["reference: imports only"]
    for name, ms in found.items():
        print(f"{name:40} {ms:7.1f} ms  {ms / reference:5.2f}x reference")
    ours = found["eojobs.plugins.load_plugins"] - reference
    pluggy = found["pluggy load_setuptools_entrypoints"] - reference
    print(f"loading itself: eojobs {ours:.1f} ms, pluggy {pluggy:.1f} ms "
          f"({pluggy / max(ours, 0.1):.1f}x)")


if __name__ == "__main__":
    main()
