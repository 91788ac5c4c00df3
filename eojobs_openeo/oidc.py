"""OpenID Connect login to an openEO back-end, through the official openEO client's flows.

The back-end names its identity providers (``GET /credentials/oidc``) and,
for each, the clients a tool may use without registering one. The flows
themselves (discovery, the device code grant with PKCE and its polling,
refresh and client credentials grants) are the ``openeo`` client's, imported
only when OpenID Connect is used. Tokens live in eojobs' 0600 token store:
the access token until it expires, the refresh token until the provider
refuses it. The bearer token the back-end takes is ``oidc/<provider>/<token>``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eojobs.credentials import Token, forget_token, load_token, save_token
from eojobs.errors import AuthenticationError, ConfigError, EOJobsError
from eojobs.http import BoundedSession
from eojobs.redact import remember_secret
from eojobs_openeo.client import OpenEOClient

Json = dict[str, Any]
#: Grant types (as openEO names them in ``default_clients``) that a device login needs.
DEVICE_GRANTS = ("urn:ietf:params:oauth:grant-type:device_code+pkce",
                 "urn:ietf:params:oauth:grant-type:device_code")
#: How long an access token whose answer states no lifetime is used.
DEFAULT_SECONDS = 300.0
#: How long ``eojobs login`` waits for the user to approve the device code.
DEVICE_SECONDS = 300.0


def _flows() -> Any:
    try:
        from openeo.rest.auth import oidc
    except ImportError:
        raise ConfigError("OpenID Connect login to openEO needs the openEO client: "
                          "pip install 'eojobs[openeo]'") from None
    return oidc


class OidcAuth:
    """Gives the client an ``oidc/...`` bearer token: cached, refreshed, or from a login."""

    def __init__(self, client: OpenEOClient, provider_id: str | None, client_id: str | None,
                 client_secret: str | None) -> None:
        self.client = client
        self.provider_id = provider_id
        self.client_id = client_id
        self._secret = client_secret
        remember_secret(client_secret)
        self.account = f"{client.url}|oidc|{provider_id or ''}|{client_id or ''}"
        self._session = BoundedSession(client.policy, user_agent="eojobs-openeo")

    def token(self) -> str | None:
        """A bearer token: the cached one, a refreshed one, or one by client credentials."""
        cached = load_token("openeo", self.account, expired=True)
        if cached is not None:
            remember_secret(cached.access_token, cached.refresh_token)
            if cached.valid:
                return cached.access_token
            if cached.refresh_token:
                try:
                    return self._refreshed(cached)
                except AuthenticationError as exc:
                    if self._secret:
                        return self._client_credentials()
                    raise AuthenticationError(f"the openeo login has expired or was revoked "
                                              f"({exc}); run `eojobs login openeo` again") \
                        from None
        if self._secret:
            return self._client_credentials()
        raise AuthenticationError(
            "not logged in to openeo: run `eojobs login openeo` (OpenID Connect, in a browser), "
            "or set EOJOBS_OPENEO_CLIENT_ID and EOJOBS_OPENEO_CLIENT_SECRET, or "
            "EOJOBS_OPENEO_USERNAME and EOJOBS_OPENEO_PASSWORD")

    def renew(self) -> str | None:
        """Called when a token is refused: refresh it, or get another by client credentials."""
        cached = load_token("openeo", self.account, expired=True)
        self.client.token = None
        if cached is not None and cached.refresh_token:
            try:
                return self._refreshed(cached)
            except AuthenticationError:
                pass
        forget_token("openeo", self.account)
        return self._client_credentials() if self._secret else None

    def login(self, say: Callable[[str], None]) -> str:
        """Log in now: by client credentials if a secret is set, else by device code.

        ``say`` shows the user the URL (and code) to approve the login with.
        """
        if self._secret:
            self._client_credentials()
            return self.client_id or ""
        provider = self._provider()
        client_id = self.client_id or self._default_client(provider, DEVICE_GRANTS)
        flows = _flows()

        def display(text: str = "", end: str = "\n") -> None:
            if end == "\n" and text.strip():  # not the progress bar, redrawn with "\r"
                say(text)

        info = self._client_info(provider, client_id)
        result = self._tokens(lambda: flows.OidcDeviceAuthenticator(
            info, display=display, max_poll_time=DEVICE_SECONDS, requests_session=self._session),
            "the device login", refresh=True)
        self._save(provider, result, "", client_id)
        return str(provider.get("title") or provider["id"])

    def _refreshed(self, cached: Token) -> str:
        """New tokens from the refresh token, asked of the client the login was made with."""
        provider = self._provider()
        client_id = cached.user_id or self.client_id or \
            self._default_client(provider, ("refresh_token",))
        flows = _flows()
        info = self._client_info(provider, client_id)
        result = self._tokens(lambda: flows.OidcRefreshTokenAuthenticator(
            info, refresh_token=cached.refresh_token, requests_session=self._session),
            "refreshing the login")
        return self._save(provider, result, cached.refresh_token, client_id)

    def _client_credentials(self) -> str:
        if not self.client_id:
            raise ConfigError("EOJOBS_OPENEO_CLIENT_SECRET is set but EOJOBS_OPENEO_CLIENT_ID "
                              "is not; set both for a client credentials login")
        provider = self._provider()
        info = self._client_info(provider, self.client_id)
        result = self._tokens(lambda: _flows().OidcClientCredentialsAuthenticator(
            info, requests_session=self._session), "the client credentials login")
        return self._save(provider, result, "", self.client_id)

    def _provider(self) -> Json:
        """The identity provider to log in with: the one set, or the back-end's only or first."""
        body = self.client.json("GET", "/credentials/oidc", auth=False)
        listed = body.get("providers") if isinstance(body, dict) else None
        providers = [p for p in listed if isinstance(p, dict) and p.get("id") and p.get("issuer")] \
            if isinstance(listed, list) else []
        if not providers:
            raise AuthenticationError("the openEO back-end offers no OpenID Connect provider; "
                                      "set EOJOBS_OPENEO_USERNAME and EOJOBS_OPENEO_PASSWORD")
        if not self.provider_id:
            return providers[0]
        found = next((p for p in providers if p["id"] == self.provider_id), None)
        if found is None:
            names = ", ".join(str(p["id"]) for p in providers)
            raise ConfigError(f"the openEO back-end has no OpenID Connect provider "
                              f"{self.provider_id!r} (EOJOBS_OPENEO_PROVIDER_ID); it has: {names}")
        return found

    @staticmethod
    def _default_client(provider: Json, grants: tuple[str, ...]) -> str:
        """The first client the provider lists for public use that allows one of ``grants``."""
        clients = provider.get("default_clients")
        for client in clients if isinstance(clients, list) else []:
            allowed = client.get("grant_types") if isinstance(client, dict) else None
            if isinstance(allowed, list) and client.get("id") and \
                    any(g in allowed for g in grants):
                return str(client["id"])
        raise ConfigError(f"the OpenID Connect provider {provider['id']!r} of this back-end "
                          "lists no client eojobs may use for this login; set "
                          "EOJOBS_OPENEO_CLIENT_ID to a client registered with it")

    def _client_info(self, provider: Json, client_id: str) -> Any:
        flows = _flows()
        try:
            info = flows.OidcProviderInfo(
                issuer=str(provider["issuer"]), scopes=provider.get("scopes"),
                provider_id=str(provider["id"]), title=provider.get("title"),
                default_clients=provider.get("default_clients"), requests_session=self._session)
        except flows.OidcException as exc:
            raise AuthenticationError(f"cannot reach the OpenID Connect provider "
                                      f"{provider['id']!r}: {_cause(exc)}") from None
        return flows.OidcClientInfo(client_id=client_id, provider=info,
                                    client_secret=self._secret)

    @staticmethod
    def _tokens(authenticator: Callable[[], Any], what: str, refresh: bool = False) -> Any:
        """The tokens a flow gets; its failures (the provider lacks the grant, refuses it,
        answers oddly) are one AuthenticationError."""
        try:
            result = authenticator().get_tokens(request_refresh_token=refresh)
        except EOJobsError:
            raise
        except Exception as exc:  # the client's OidcException and its own parsing errors
            raise AuthenticationError(f"{what} to openeo failed: {_cause(exc)}") from None
        remember_secret(result.access_token, result.refresh_token)
        return result

    def _save(self, provider: Json, result: Any, refresh_token: str, client_id: str) -> str:
        """Cache the tokens (a new refresh token replaces the old) with the client they are
        for, in place of a user; return the bearer token."""
        bearer = f"oidc/{provider['id']}/{result.access_token}"
        remember_secret(bearer)
        seconds = float(result.expires_in) if result.expires_in else DEFAULT_SECONDS
        save_token("openeo", self.account, Token(
            bearer, time.time() + seconds, client_id, result.refresh_token or refresh_token))
        self.client.token = bearer
        return bearer


def _cause(exc: BaseException) -> str:
    """The part of an error that says what went wrong, without a traceback's noise."""
    cause = exc.__cause__
    if isinstance(cause, EOJobsError):
        return str(cause)
    return str(exc).split(": <", 1)[0]
