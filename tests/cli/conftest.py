from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eojobs.cli import cli


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
