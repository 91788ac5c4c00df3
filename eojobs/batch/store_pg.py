"""Campaigns in PostgreSQL, so that runners on several machines share one campaign.

:class:`PostgresStore` runs the statements of :class:`~eojobs.batch.store.SQLStore`
unchanged on a psycopg 3 connection: the same schema as SQLite, many
campaigns in one database (each row names its campaign), and claims that
lock the rows they take with ``FOR UPDATE SKIP LOCKED``, so two runners
never take the same row and neither waits for the other.

psycopg is imported only when a store is opened (``pip install
'eojobs[postgres]'``). Every error this module raises names the database by
its URL with the password masked, and never shows the password itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from eojobs.batch.store import SQLStore
from eojobs.errors import ConfigError, EOJobsError, InputError
from eojobs.redact import redact_text, redact_url, remember_secret

if TYPE_CHECKING:
    import psycopg

#: URL schemes of PostgreSQL databases.
SCHEMES = ("postgresql://", "postgres://")
#: What to install for PostgreSQL campaigns.
NEED_PSYCOPG = "PostgreSQL campaigns need psycopg: pip install 'eojobs[postgres]'"
#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT = 10
#: SQLSTATE classes that mean the URL's user, password or database is wrong (the user's fix).
_REFUSED = ("28", "3D")


def is_postgres_url(where: object) -> bool:
    """Whether ``where`` is a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return str(where).startswith(SCHEMES)


class PostgresStore(SQLStore):
    """A campaign in a PostgreSQL database, shared by runners on any machine that reaches it.

    ``url`` is a libpq URL, ``postgresql://user:password@host:port/dbname``;
    the password may also come from ``PGPASSWORD`` or ``~/.pgpass`` as libpq
    reads them. The schema is created on first use.
    """

    PARAM = "%s"
    CLAIM_LOCK = "FOR UPDATE SKIP LOCKED"
    ONE_CAMPAIGN = False

    def __init__(self, url: str, campaign_id: str | None = None) -> None:
        super().__init__(campaign_id)
        #: The database's URL with its password masked: safe to show.
        self.where = redact_url(url)
        self._url = url
        # The core masks these (of its minimum length) in every message it shows.
        remember_secret(*_passwords(url))
        self._db: psycopg.Connection[Any] | None = None
        try:
            import psycopg
        except ImportError:
            raise ConfigError(NEED_PSYCOPG) from None
        self._pg = psycopg
        try:
            self.setup()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        psycopg = self._pg
        try:
            self._db = psycopg.connect(self._url, autocommit=True,
                                       connect_timeout=CONNECT_TIMEOUT,
                                       application_name="eojobs-batch")
            return self._db
        except psycopg.Error as exc:
            error = (self._error(exc, "cannot connect to the campaign database", connecting=True)
                     or EOJobsError(f"cannot connect to the campaign database {self.where}"))
        # Raised outside the except block, so that the driver's error (whose text may hold
        # the password, as in "unexpected spaces found in ...") is not even its context.
        raise error

    def setup(self) -> None:
        """Create the schema if missing, one process at a time (PostgreSQL's DDL may race)."""
        with self._mapped():
            db = self._db if self._db is not None and not self._db.closed else self._connect()
            db.execute("SELECT pg_advisory_lock(%s)", [_SETUP_LOCK])
        try:
            super().setup()
        finally:
            if not db.closed:
                with self._mapped():
                    db.execute("SELECT pg_advisory_unlock(%s)", [_SETUP_LOCK])

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor in a transaction: committed when the block ends, rolled back on error.

        A lost connection is opened again by the next transaction; driver
        errors become eojobs errors whose messages hold no password.
        """
        with self._mapped():
            db = self._db if self._db is not None and not self._db.closed else self._connect()
            with db.transaction(), db.cursor() as cur:
                yield cur

    @contextmanager
    def _mapped(self) -> Iterator[None]:
        """Turn the driver's errors in the block into eojobs errors; others pass unchanged."""
        try:
            yield
            return
        except self._pg.Error as exc:
            error = self._error(exc, "the campaign database failed")
            if error is None:
                raise
        raise error

    def _error(self, exc: BaseException, what: str, connecting: bool = False,
               ) -> EOJobsError | None:
        """The eojobs error for a driver error, naming the database but never its password.

        None for an error in a statement (a bug, shown as the driver gives it)
        rather than in the connection, the login or a refused change.
        """
        psycopg = self._pg

        reason = self._clean(str(exc).strip()) or type(exc).__name__
        if isinstance(exc, psycopg.IntegrityError):
            return InputError(f"the campaign database {self.where} refused a change: {reason}")
        if not connecting and not isinstance(exc, psycopg.OperationalError
                                             | psycopg.InterfaceError):
            return None
        sqlstate = getattr(exc, "sqlstate", None) or ""
        message = f"{what} {self.where}: {reason}"
        refused = (sqlstate.startswith(_REFUSED) or not isinstance(exc, psycopg.OperationalError)
                   or "password" in reason or "does not exist" in reason)
        if refused:
            return ConfigError(f"{message}; check the user, password and database of the URL")
        return EOJobsError(message)

    def _clean(self, text: str) -> str:
        """``text`` with the URL's password (in any spelling) and other secrets masked."""
        return redact_text(text)

    def _id(self) -> str:
        if self.campaign_id is None:
            raise InputError(f"the database {self.where} holds no campaign, or several: "
                             "name the campaign to open")
        return self.campaign_id

    def close(self) -> None:
        """Close the connection (a later transaction would open a new one)."""
        if self._db is not None:
            self._db.close()
            self._db = None


def _passwords(url: str) -> list[str]:
    """The password of ``url`` as written and decoded, longest first (to mask them in text)."""
    found: set[str] = set()
    try:
        parts = urlsplit(url)
        if parts.password:
            found |= {parts.password, unquote(parts.password)}
        for pair in parts.query.split("&"):
            name, _, value = pair.partition("=")
            if name.lower() == "password" and value:
                found |= {value, unquote(value)}
    except ValueError:
        pass
    return sorted((s for s in found if s), key=len, reverse=True)


#: The advisory lock key under which one process at a time creates the schema.
_SETUP_LOCK = int.from_bytes(hashlib.sha256(b"eojobs batch schema").digest()[:8], "big",
                             signed=True)
