"""Reading a fault SPEC, and drawing faults from it reproducibly."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from eojobs.cli import cli
from eojobs_mock.server.faults import (
    KINDS,
    SEASONED_TOKEN_USES,
    SETTINGS,
    FaultSpecError,
    applicable,
    parse_faults,
)

EVERY_KIND = set(KINDS)


def test_a_scope_rate_is_spread_over_every_kind_of_the_scope():
    plan = parse_faults("api=0.1,blob=0.1,seed=42")
    assert plan.total("api") == pytest.approx(0.1)
    assert plan.total("blob") == pytest.approx(0.1)
    assert {k for k in KINDS if plan.rate("api", k)} == EVERY_KIND
    assert {k for k in KINDS if plan.rate("blob", k)} == EVERY_KIND - {"expire", "lost"}
    assert plan.seed == 42


def test_a_kind_without_scope_applies_to_both_and_later_items_win():
    plan = parse_faults("5xx=0.2,expire=0.1,api=0.7,api:slow=0,blob:truncate=0.3")
    assert plan.rate("blob", "5xx") == pytest.approx(0.2)
    assert plan.rate("blob", "expire") == 0
    assert plan.rate("api", "5xx") == pytest.approx(0.1)
    assert plan.rate("api", "slow") == 0
    assert plan.total("api") == pytest.approx(0.6)
    assert plan.total("blob") == pytest.approx(0.5)


def test_settings_are_read_with_their_units():
    plan = parse_faults(" delay=0.25 , retry-after=3, throttle=8M, posts=ALL, seed=0 ")
    assert (plan.delay_s, plan.retry_after_s, plan.throttle, plan.posts, plan.seed) == \
        (0.25, 3, 8 * 2**20, "all", 0)
    assert parse_faults("throttle=512k").throttle == 512 * 1024
    assert parse_faults("").total("api") == 0


def test_without_a_seed_one_is_chosen_and_shown():
    plan = parse_faults("api=0.1")
    assert f"seed {plan.seed}" in plan.describe()
    assert "10% of API requests" in plan.describe()


@pytest.mark.parametrize(("spec", "says"), [
    ("api", "is not KEY=VALUE"),
    ("api=1.5", "a rate is a number from 0 to 1"),
    ("api=lots", "a rate is a number from 0 to 1"),
    ("net:5xx=0.1", "unknown scope 'net'"),
    ("api:teapot=0.1", "unknown fault kind or setting 'teapot'"),
    ("blob:expire=0.1", "expire applies to API requests only"),
    ("blob:lost=0.1", "lost applies to API requests only"),
    ("api:5xx=0.7,429=0.7", "the api rates add up to 1.4"),
    ("seed=x", "seed must be a whole number"),
    ("delay=61", "delay must be a number of seconds from 0 to 60"),
    ("retry-after=1.5", "retry-after must be a whole number of seconds"),
    ("throttle=0", "throttle must be a number of bytes per second"),
    ("posts=some", "posts must be safe or all"),
])
def test_a_bad_spec_is_refused_naming_the_item(spec, says):
    with pytest.raises(FaultSpecError, match=says):
        parse_faults(spec)


def test_the_same_seed_faults_the_same_requests_and_another_seed_others():
    def draws(spec: str) -> list[tuple[int, str]]:
        plan = parse_faults(spec)
        faults = [(n, plan.choose("api", n, EVERY_KIND)) for n in range(2000)]
        return [(n, f.kind) for n, f in faults if f is not None]

    first = draws("api=0.1,seed=5")
    assert first == draws("api=0.1,seed=5")
    assert first != draws("api=0.1,seed=6")
    assert 150 < len(first) < 250
    assert {kind for _, kind in first} == EVERY_KIND


def test_the_kind_is_drawn_among_those_that_apply_so_the_rate_holds():
    plan = parse_faults("api:5xx=0.1,api:reset=0.1,api:429=0.1,seed=9")
    post = applicable(plan, "api", "POST", None)
    faults = [plan.choose("api", n, post) for n in range(3000)]
    kinds = {f.kind for f in faults if f is not None}
    assert kinds == {"429"}
    assert 800 < sum(f is not None for f in faults) < 1000


def test_a_lost_answer_is_an_api_kind_for_posts_and_patches_only_with_posts_all():
    plan = parse_faults("lost=0.3,posts=all,seed=2")
    assert plan.rate("api", "lost") == pytest.approx(0.3) and plan.rate("blob", "lost") == 0
    post = applicable(plan, "api", "POST", None)
    faults = [plan.choose("api", n, post) for n in range(1000)]
    assert {f.kind for f in faults if f is not None} == {"lost"}
    get = applicable(plan, "api", "GET", None)
    assert all(plan.choose("api", n, get) is None for n in range(1000))
    safe = parse_faults("api:lost=1,seed=2")
    assert all(safe.choose("api", n, applicable(safe, "api", "POST", None)) is None
               for n in range(100))


def test_the_description_says_what_posts_get():
    assert parse_faults("api:lost=1,seed=3").describe() == \
        "100% of API requests (lost); lost needs posts=all; seed 3"
    assert parse_faults("api:lost=0.5,api:5xx=0.5,posts=all,seed=3").describe() == \
        "100% of API requests (5xx, lost); POST and PATCH get every kind; seed 3"


def test_which_kinds_apply_to_which_requests():
    safe, every = parse_faults(""), parse_faults("posts=all")
    assert applicable(safe, "api", "POST", None) == {"429", "slow"}
    assert applicable(safe, "api", "PATCH", SEASONED_TOKEN_USES) == {"429", "slow", "expire"}
    assert applicable(every, "api", "POST", None) == {"429", "slow", "5xx", "reset", "lost"}
    assert applicable(every, "api", "PATCH", None) == {"429", "slow", "5xx", "reset", "lost"}
    assert applicable(every, "api", "PUT", None) == {"429", "slow", "5xx", "reset"}
    assert applicable(safe, "api", "GET", SEASONED_TOKEN_USES - 1) == \
        EVERY_KIND - {"expire", "lost"}
    assert applicable(safe, "api", "GET", SEASONED_TOKEN_USES) == EVERY_KIND - {"lost"}
    assert applicable(every, "api", "GET", SEASONED_TOKEN_USES) == EVERY_KIND - {"lost"}
    assert applicable(safe, "blob", "PUT", None) == {"429", "slow", "5xx", "reset"}
    assert applicable(safe, "blob", "GET", 99) == EVERY_KIND - {"expire", "lost"}


def test_serve_refuses_a_bad_spec_with_one_line_and_exit_2(user_dir):
    result = CliRunner().invoke(cli, ["mock", "serve", "--port", "0", "--faults", "api=2"])
    assert result.exit_code == 2
    assert result.stderr == "error: bad --faults SPEC: 'api=2': a rate is a number from 0 to 1, " \
                            "such as 0.1\n"
    result = CliRunner().invoke(cli, ["mock", "serve", "--port", "0"],
                                env={"EOJOBS_MOCK_FAULTS": "wifi=0.5"})
    assert result.exit_code == 2 and "unknown fault kind or setting 'wifi'" in result.stderr


def test_serve_help_documents_every_kind_and_setting():
    text = CliRunner().invoke(cli, ["mock", "serve", "--help"]).stdout
    for name in (*KINDS, *SETTINGS, "EOJOBS_MOCK_FAULTS", "api", "blob"):
        assert name in text, name
