"""The token cache is used only while it is private to the user (issue 10)."""

from __future__ import annotations

import logging
import os
import stat
import time

import pytest

from eojobs.cli.hints import error_text
from eojobs.credentials import Token, load_token, save_token, token_path
from eojobs.errors import ConfigError

TOKEN = Token("tok-cached-abcdef", time.time() + 3600, "user-1")


@pytest.fixture
def cached():
    return save_token("fusion", "acct", TOKEN)


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_saved_token_is_private_and_loads_without_a_word(cached, caplog):
    assert mode(cached) == 0o600 and mode(cached.parent) == 0o700
    with caplog.at_level(logging.WARNING, logger="eojobs"):
        assert load_token("fusion", "acct") == TOKEN
    assert caplog.records == []


def test_a_cache_others_could_read_is_made_0600_with_a_warning(cached, caplog):
    os.chmod(cached, 0o644)
    with caplog.at_level(logging.WARNING, logger="eojobs"):
        assert load_token("fusion", "acct") == TOKEN
    assert mode(cached) == 0o600
    assert [r.getMessage() for r in caplog.records] == [
        f"the token cache {cached} could be read by others (mode 644); it is now 0600, but "
        "log in again if others may have read it"]


def test_a_token_folder_others_could_read_is_made_0700_with_a_warning(cached, caplog):
    os.chmod(cached.parent, 0o755)
    with caplog.at_level(logging.WARNING, logger="eojobs"):
        assert load_token("fusion", "acct") == TOKEN
    assert mode(cached.parent) == 0o700
    assert caplog.messages == [f"{cached.parent} could be read by others (mode 755); "
                               "it is now 700"]


def test_a_user_directory_others_could_change_is_tightened_with_a_warning(cached, user_dir,
                                                                          caplog):
    os.chmod(user_dir, 0o777)
    with caplog.at_level(logging.WARNING, logger="eojobs"):
        save_token("fusion", "acct", TOKEN)
    assert mode(user_dir) == 0o755
    assert caplog.messages == [f"{user_dir} could be changed by others (mode 777); "
                               "it is now 755"]


def test_a_cache_that_is_a_symbolic_link_is_refused(cached, tmp_path):
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_bytes(cached.read_bytes())
    os.chmod(elsewhere, 0o600)
    cached.unlink()
    cached.symlink_to(elsewhere)
    with pytest.raises(ConfigError) as refused:
        load_token("fusion", "acct")
    assert str(refused.value) == (f"refusing the token cache {cached}: it is a symbolic link; "
                                  "remove it and log in again with Backend.login")
    assert error_text(refused.value) == (f"refusing the token cache {cached}: it is a symbolic "
                                         "link; remove it and log in again with `eojobs login`")


def test_a_token_folder_that_is_a_symbolic_link_is_refused(cached, tmp_path):
    folder = cached.parent
    moved = tmp_path / "moved-tokens"
    folder.rename(moved)
    folder.symlink_to(moved)
    with pytest.raises(ConfigError, match="it is a symbolic link"):
        load_token("fusion", "acct")
    with pytest.raises(ConfigError, match="it is a symbolic link"):
        save_token("fusion", "acct", TOKEN)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can give a file to another user")
def test_a_cache_owned_by_another_user_is_refused(cached):
    os.chown(cached, 65534, 65534)
    with pytest.raises(ConfigError) as refused:
        load_token("fusion", "acct")
    assert str(refused.value).startswith(f"refusing the token cache {cached}: it belongs to "
                                         "another user")
    assert token_path("fusion", "acct") == cached
