from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eojobs.cli import cli
from eojobs.models import Capability
from eojobs_mock.backend import MockBackend
from tests.conftest import registered


class Runner:
    """The CLI in-process, with stdin given and the outcome kept whole."""

    def __call__(self, *args: str, input: str | None = None):
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    def json(self, *args: str):
        result = self("--json", *args)
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def eojobs() -> Runner:
    return Runner()


class UnpricedBackend(MockBackend):
    """The mock, but a platform that gives no prices."""

    name = "unpriced"

    def submit(self, request):
        return super().submit(request).model_copy(update={"price": None})

    def get_job(self, job_id):
        return super().get_job(job_id).model_copy(update={"price": None})


class PricelessBackend(UnpricedBackend):
    """A platform that says it prices no job: it does not declare Capability.PRICE."""

    name = "priceless"
    capabilities = MockBackend.capabilities - {Capability.PRICE}


@pytest.fixture
def unpriced_backend():
    with registered(UnpricedBackend, PricelessBackend):
        yield


def on_terminal(args: list[str], answer: str, timeout: float = 60) -> tuple[int, str]:
    """Run ``eojobs ARGS`` with its stdin on a real pseudo-terminal, typing ``answer``.

    Returns the exit code and what it printed on stderr.
    """
    import os
    import subprocess
    import sys

    main, typed = os.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "eojobs", *args], stdin=typed,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(typed)
        os.write(main, answer.encode())
        _, err = process.communicate(timeout=timeout)
    finally:
        os.close(main)
    return process.returncode, err


class UnsizedBackend(MockBackend):
    """The mock, but a platform that says neither the size nor the checksum of its files."""

    name = "unsized"

    def list_assets(self, job_id):
        return [a.model_copy(update={"size": None, "checksum": None})
                for a in super().list_assets(job_id)]


@pytest.fixture
def unsized_backend():
    with registered(UnsizedBackend):
        yield
