"""The progress bar of a run: rows finished, with done, running, queued and failed after it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from eojobs.batch import Campaign, NewRow
from tests.batch.conftest import feature_collection, square
from tests.cli.conftest import Runner as Cli


class Terminal(io.StringIO):
    """Text written to a terminal, kept."""

    def isatty(self) -> bool:
        return True


def last_frame(screen: str) -> str:
    """What a terminal shows last of a bar redrawn with carriage returns."""
    return screen.rstrip("\n").split("\r")[-1].strip()


def test_the_bar_counts_finished_rows_and_shows_each_state(tmp_path: Path) -> None:
    campaign = Campaign.create(tmp_path / "camp", "Elevation",
                               [NewRow(f"r{i}", square(i)) for i in range(10)])
    screen = Terminal()
    bar = campaign.progress_bar(file=screen)
    assert bar.total == 10 and not bar.disable
    counts = {"queued": 3, "submitting": 1, "submitted": 1, "downloading": 1, "done": 2,
              "failed": 1, "stopped": 1}
    campaign.show_progress(bar, counts)
    frame = last_frame(screen.getvalue())
    assert frame.startswith("Elevation:  40%")
    assert " 4/10 " in frame  # done, failed and stopped rows are finished
    assert frame.endswith("row/s, done 2, running 3, queued 3, failed 1]")
    counts.update(queued=0, submitting=0, submitted=0, downloading=0, done=6, failed=2,
                  stopped=2)
    campaign.show_progress(bar, {**counts, "queued": 2})  # two rows were added meanwhile
    assert bar.total == 12
    assert " 10/12 " in last_frame(screen.getvalue())
    bar.close()
    campaign.close()


def test_the_bar_is_hidden_off_a_terminal(tmp_path: Path) -> None:
    campaign = Campaign.create(tmp_path / "camp", "Elevation", [NewRow("a", square(0))])
    pipe = io.StringIO()
    bar = campaign.progress_bar(file=pipe)
    assert bar.disable
    campaign.show_progress(bar, campaign.status())
    bar.close()
    assert pipe.getvalue() == ""
    assert campaign.progress_bar().disable  # stderr, captured by pytest, is no terminal
    campaign.close()


@pytest.mark.parametrize("flags", [[], ["-q"], ["--json"]])
def test_the_cli_shows_the_bar_unless_quiet_or_json(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str]) -> None:
    screen = Terminal()
    bars = []
    made = Campaign.progress_bar

    def on_screen(campaign: Campaign, file: object = None) -> object:
        bars.append(made(campaign, file=screen))
        return bars[-1]

    monkeypatch.setattr(Campaign, "progress_bar", on_screen)
    result = Cli()(*flags, "batch", "run", "elevation", "-r",
                   str(feature_collection(tmp_path / "fc.geojson", 3)), "-d",
                   str(tmp_path / "camp"))
    assert result.exit_code == 0, result.output
    if flags:
        assert (bars, screen.getvalue()) == ([], "")
    else:
        frame = last_frame(screen.getvalue())
        assert frame.startswith("Elevation: 100%") and " 3/3 " in frame
        assert frame.endswith(", done 3, running 0, queued 0, failed 0]")
