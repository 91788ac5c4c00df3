"""Everything a request handler needs: the engine, the account, data, tokens and signed URLs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eojobs_mock.engine.accounts import Accounts, password_problem
from eojobs_mock.engine.datastore import DataStore
from eojobs_mock.engine.platform import MockPlatform
from eojobs_mock.engine.processrecords import ProcessRecords
from eojobs_mock.server.auth import (
    DEFAULT_TOKEN_LIFETIME_S,
    TokenIssuer,
    derive_key,
    workspace_secret,
)
from eojobs_mock.server.blobs import BlobLinks
from eojobs_mock.server.signing import DEFAULT_URL_LIFETIME_S, UrlSigner

DEFAULT_EMAIL = "me@org.com"
DEFAULT_PASSWORD = "MyPassword123!"


@dataclass(frozen=True)
class ServerOptions:
    """How the server is set up: the demo account and how long tokens and URLs last."""

    email: str = DEFAULT_EMAIL
    password: str = DEFAULT_PASSWORD
    token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S
    url_lifetime_s: float = DEFAULT_URL_LIFETIME_S


@dataclass(frozen=True)
class EngineSettings:
    """The mock engine's settings, as ``eojobs.connect("mock")`` would resolve them."""

    speed: float
    max_slice_km2: float
    initial_credits: float

    @classmethod
    def resolve(cls) -> EngineSettings:
        """The settings from ``EOJOBS_MOCK_*`` and the profile, like the in-process backend."""
        from eojobs.config import resolve_settings
        from eojobs_mock.backend import MockSettings

        settings = resolve_settings("mock", MockSettings, {})
        assert isinstance(settings, MockSettings)
        return cls(settings.speed, settings.max_slice_km2, settings.initial_credits)


class ServerState:
    """The mock platform as the server sees it, shared by every request thread."""

    def __init__(self, home: Path, options: ServerOptions | None = None,
                 settings: EngineSettings | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        options = options or ServerOptions()
        problem = password_problem(options.password)
        if problem is not None:
            raise ValueError(problem)
        settings = settings or EngineSettings.resolve()
        self.options = options
        self.clock = clock
        self.platform = MockPlatform(home, speed=settings.speed,
                                     initial_credits=settings.initial_credits, clock=clock)
        self.root = self.platform.root
        self.max_slice_km2 = settings.max_slice_km2
        store = self.platform.store
        self.accounts = Accounts(store, clock)
        self.data = DataStore(store, self.root, clock)
        self.records = ProcessRecords(store)
        secret = workspace_secret(self.root)
        self.tokens = TokenIssuer(derive_key(secret, "jwt"), options.token_lifetime_s, clock)
        self.signer = UrlSigner(derive_key(secret, "url"), options.url_lifetime_s, clock)
        self.blobs = BlobLinks(self.root / "blobs", clock)
        user = self.accounts.ensure_demo(options.email, options.password)
        self.user_id = user.id
        self.organisation_id = user.organisation_id
