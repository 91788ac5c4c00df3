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
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import unquote, urlsplit

from eojobs.batch.store import SQLStore
from eojobs.errors import ConfigError, EOJobsError, InputError
from eojobs.redact import MASK, redact_text, redact_url

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
        self._secrets = _passwords(url)
        self._db: psycopg.Connection[Any] | None = None
        self._connect()
        try:
            self.setup()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(NEED_PSYCOPG) from None
        try:
            self._db = psycopg.connect(self._url, autocommit=True,
                                       connect_timeout=CONNECT_TIMEOUT,
                                       application_name="eojobs batch")
        except psycopg.Error as exc:
            self._fail(exc, "cannot connect to the campaign database")
        return self._db

    def setup(self) -> None:
        """Create the schema if missing, one process at a time (PostgreSQL's DDL may race)."""
        db = self._db if self._db is not None and not self._db.closed else self._connect()
        lock = _SETUP_LOCK
        try:
            db.execute("SELECT pg_advisory_lock(%s)", [lock])
        except Exception as exc:
            self._map(exc)
            raise
        try:
            super().setup()
        finally:
            if not db.closed:
                db.execute("SELECT pg_advisory_unlock(%s)", [lock])

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor in a transaction: committed when the block ends, rolled back on error.

        A lost connection is opened again by the next transaction; driver
        errors become eojobs errors whose messages hold no password.
        """
        db = self._db if self._db is not None and not self._db.closed else self._connect()
        try:
            with db.transaction(), db.cursor() as cur:
                yield cur
        except Exception as exc:
            self._map(exc)
            raise

    def _map(self, exc: BaseException) -> None:
        """Raise the eojobs error for a driver error; return for any other exception."""
        import psycopg

        if isinstance(exc, psycopg.IntegrityError):
            raise InputError(f"the campaign database refused a change: "
                             f"{self._clean(str(exc))}") from None
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            self._fail(exc, "the campaign database failed")

    def _fail(self, exc: BaseException, what: str) -> NoReturn:
        """Raise ``what``, naming the database and the driver's reason, without the password."""
        reason = self._clean(str(exc).strip()) or type(exc).__name__
        sqlstate = getattr(exc, "sqlstate", None) or ""
        message = f"{what} {self.where}: {reason}"
        import psycopg

        refused = (sqlstate.startswith(_REFUSED) or isinstance(exc, psycopg.ProgrammingError)
                   or "password" in reason or "does not exist" in reason)
        if refused:
            raise ConfigError(f"{message}; check the user, password and database of the URL "
                              "given with --db") from None
        raise EOJobsError(message) from None

    def _clean(self, text: str) -> str:
        """``text`` with the URL's password (in any spelling) and other secrets masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
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
