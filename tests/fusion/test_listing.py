"""What listing jobs and finding one by an id prefix cost on Fusion, against `eojobs mock serve`."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

import eojobs
from eojobs import JobStatus
from eojobs_fusion import backend as fusion_backend
from tests.conftest import GLASGOW, TWINS


def connect(url: str, mock_server) -> eojobs.Connection:
    return eojobs.connect("fusion", api_url=url, email=mock_server.email,
                          password=mock_server.password)


def requests_made(conn: eojobs.Connection) -> int:
    return conn.backend.client.requests_made


def test_listing_40_jobs_costs_one_page_and_a_prefix_lookup_three_requests(mock_server):
    with connect(mock_server.url, mock_server) as conn:
        jobs = [conn.create_job("Elevation", GLASGOW, options={"resolution": 30 + i})
                for i in range(39)]
        started = [*(j.start() for j in jobs[:29]),
                   conn.create_job("Failing Demo", GLASGOW).start()]
        conn.wait_all(started, poll_interval=0.05, progress=False)
    with connect(mock_server.url, mock_server) as conn:
        listed = conn.jobs()
        # Log in, the user's organisations, one page of processes, one listing of services
        # (the jobs use two). Reading each job's executions would add 30 requests.
        assert requests_made(conn) <= 4
        assert Counter(j.status for j in listed) == {
            JobStatus.SUCCEEDED: 29, JobStatus.FAILED: 1, JobStatus.CREATED: 10}
        assert {j.info.service_name for j in listed} == {"Elevation", "Failing Demo"}
        ran = next(j for j in listed if j.status is JobStatus.SUCCEEDED)
        before = requests_made(conn)
        found = conn.job(ran.id[:8])
        # One page of processes, then the match with its executions.
        assert requests_made(conn) - before == 3
        assert found.info == ran.info
        for job in listed:
            assert conn.job(job.id).info == job.info


def test_hints_stop_the_paging_early(mock_server, monkeypatch):
    monkeypatch.setattr(fusion_backend, "BATCH_PAGE", 5)
    with connect(mock_server.url, mock_server) as conn:
        for i in range(12):
            conn.create_job("Elevation", GLASGOW, options={"resolution": 30 + i})
        before = requests_made(conn)
        everything = conn.jobs()
        assert requests_made(conn) - before == 3
        ids = [j.id for j in everything]

        before = requests_made(conn)
        assert [j.id for j in conn.jobs(limit=3)] == ids[:3]
        assert requests_made(conn) - before == 1

        before = requests_made(conn)
        assert [j.id for j in conn.jobs(since=everything[6].info.created_at)] == ids[:7]
        assert requests_made(conn) - before == 2

        before = requests_made(conn)
        assert [j.id for j in conn.jobs(status="created", limit=3)] == ids[:3]
        assert requests_made(conn) - before == 3




def test_short_and_ambiguous_prefixes(mock_server, chosen_ids):
    chosen_ids(TWINS)
    with connect(mock_server.url, mock_server) as conn:
        for _ in TWINS:
            conn.create_job("Elevation", GLASGOW)
        before = requests_made(conn)
        with pytest.raises(eojobs.AmbiguousName) as info:
            conn.job("abcd")
        assert requests_made(conn) - before == 1
        newest = sorted(TWINS, reverse=True)
        assert str(info.value) == (f"'abcd' matches 7 jobs: {', '.join(newest[:5])}, ...; "
                                   "give more of the id")
        with pytest.raises(eojobs.InputError) as info:
            conn.job("ab")
        assert str(info.value) == "give at least 4 characters of a job id; 'ab' is too short"
        with pytest.raises(eojobs.NotFound, match="no Fusion job 'abce'"):
            conn.job("abce")
        assert conn.job("ABCD0005").id == TWINS[5]


def odd_server(upstream: str) -> ThreadingHTTPServer:
    """A proxy on 127.0.0.1 in front of the mock server that answers process listings
    oldest first whatever ``reverse`` says, with ``job_status`` words eojobs does not know.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            self.forward()

        def do_POST(self) -> None:  # noqa: N802
            self.forward()

        def forward(self) -> None:
            parts = urlsplit(self.path)
            listing = parts.path.endswith("/processes")
            query = [(k, "False" if listing and k == "reverse" else v)
                     for k, v in parse_qsl(parts.query)]
            length = int(self.headers.get("Content-Length") or 0)
            answer = requests.request(
                self.command, f"{upstream}{parts.path}?{urlencode(query)}",
                data=self.rfile.read(length) if length else None,
                headers={k: v for k, v in self.headers.items()
                         if k in ("Authorization", "Content-Type")}, timeout=30)
            body = answer.json()
            for process in body.get("list") or [] if listing else []:
                for entry in process.get("executions") or []:
                    entry["job_status"] = f"EXIT_{entry['job_status'].upper()}"
            data = json.dumps(body).encode()
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_server_with_other_words_and_order_still_gets_right_answers(mock_server, monkeypatch):
    monkeypatch.setattr(fusion_backend, "BATCH_PAGE", 5)
    proxy = odd_server(mock_server.url)
    try:
        with connect(f"http://127.0.0.1:{proxy.server_port}", mock_server) as conn:
            jobs = [conn.create_job("Elevation", GLASGOW, options={"resolution": 30 + i})
                    for i in range(8)]
            conn.wait_all([j.start() for j in jobs[:3]], poll_interval=0.05, progress=False)
            before = requests_made(conn)
            listed = conn.jobs()
            # Two pages, then the executions of each of the three jobs that ran,
            # since their summaries say nothing eojobs can read.
            assert requests_made(conn) - before == 2 + 3
            assert [j.id for j in listed] == [j.id for j in reversed(jobs)]
            assert [j.status for j in listed[-3:]] == [JobStatus.SUCCEEDED] * 3
            for job in listed:
                assert conn.job(job.id).info == job.info
            before = requests_made(conn)
            # The pages come oldest first: every page is read to find the newest.
            assert [j.id for j in conn.jobs(limit=2)] == [jobs[7].id, jobs[6].id]
            assert requests_made(conn) - before == 2
    finally:
        proxy.shutdown()
