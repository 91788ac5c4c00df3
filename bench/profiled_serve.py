"""`eojobs mock serve`, with every request it answers profiled by cProfile.

Usage: python bench/profiled_serve.py OUT [eojobs mock serve options...]

The server answers each request on a thread of its own, and cProfile sees
only the thread that enables it (so `python -m cProfile -m eojobs mock serve`
would profile the accept loop alone): here each request is profiled on its
thread and the profiles are summed. When the server stops (SIGTERM or
Ctrl-C) it writes OUT (pstats, read it with `python -m pstats OUT`) and
OUT.routes.txt: per route (ids replaced by {id}), the requests and the
seconds spent answering them. bench/batch_requests.py --profile OUT starts
the server this way.
"""

from __future__ import annotations

import atexit
import cProfile
import pstats
import re
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def main() -> None:
    out = Path(sys.argv[1])
    import eojobs_mock.server.runner as runner
    from eojobs_mock.server.app import FusionApp

    lock = threading.Lock()
    total: list[pstats.Stats] = []
    routes: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    class ProfiledApp(FusionApp):
        def respond(self, request: Any) -> Any:
            profile = cProfile.Profile()
            start = time.perf_counter()
            try:
                return profile.runcall(super().respond, request)
            finally:
                elapsed = time.perf_counter() - start
                route = f"{request.method} {_ID.sub('{id}', request.path)}"
                with lock:
                    if total:
                        total[0].add(profile)
                    else:
                        total.append(pstats.Stats(profile))
                    routes[route][0] += 1
                    routes[route][1] += elapsed

    def dump() -> None:
        with lock:
            if total:
                total[0].dump_stats(out)
            lines = [f"{int(n):7d} {s:9.2f} s {s / n * 1000:8.2f} ms  {route}"
                     for route, (n, s) in sorted(routes.items(), key=lambda r: -r[1][1])]
        Path(f"{out}.routes.txt").write_text(
            "requests   seconds   per request  route\n" + "\n".join(lines) + "\n")

    runner.FusionApp = ProfiledApp  # type: ignore[misc]
    atexit.register(dump)
    from eojobs.cli import main as cli

    sys.argv = ["eojobs", "mock", "serve", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
