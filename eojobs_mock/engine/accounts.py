"""The mock platform's one account: a demo user and the organisation that owns every job."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eojobs_mock.engine.store import Store

PASSWORD_RULE = (
    "at least 8 characters, with an upper-case letter, a lower-case letter, a digit and a "
    "special character"
)
_ITERATIONS = 20_000

DEFAULT_USER_FIELDS: dict[str, Any] = {
    "given_name": "Demo",
    "family_name": "User",
    "default_output_storage_period": 30,
    "time_zone": "Europe/London",
    "locale": "en_GB",
    "units": "metric",
    "notification_service_status": ["email"],
    "notification_account": ["email"],
    "notification_processing_chain": ["email"],
    "notification_new_features": [],
    "notification_contact": ["email"],
}
DEFAULT_ORGANISATION_FIELDS: dict[str, Any] = {
    "name": "Demo Organisation",
    "address_line_1": "1 Simulation Street",
    "address_town_city": "Glasgow",
    "address_post_zip_code": "G1 1AA",
    "address_country": "United Kingdom",
    "currency": "GBP",
    "payment_valid": True,
    "income_valid": False,
    "maximum_output_storage_period": 365,
    "maximum_file_downloads": 1000,
}


@dataclass(frozen=True)
class UserRecord:
    """The demo user; ``fields`` holds the editable profile."""

    id: str
    email: str
    organisation_id: str
    fields: dict[str, Any]
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class OrganisationRecord:
    """The demo organisation; ``fields`` holds its name, address and limits."""

    id: str
    fields: dict[str, Any]
    created_at: float
    updated_at: float


def password_problem(password: str) -> str | None:
    """Why ``password`` breaks the Fusion Platform password policy, or None if it does not."""
    checks = (len(password) >= 8, re.search(r"[A-Z]", password), re.search(r"[a-z]", password),
              re.search(r"\d", password), re.search(r"[^A-Za-z0-9]", password))
    return None if all(checks) else f"a password needs {PASSWORD_RULE}"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted PBKDF2 hash of ``password``, as stored."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """True if ``password`` hashes to ``stored``."""
    try:
        _, iterations, salt, digest = stored.split("$")
        again = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt),
                                    int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(again.hex(), digest)


class Accounts:
    """The demo user and organisation, kept in the engine's database."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    def ensure_demo(self, email: str, password: str) -> UserRecord:
        """Create the demo account, or give the existing one this e-mail and password."""
        now = self.clock()
        hashed = hash_password(password)
        with self.store.write() as db:
            found = db.execute("SELECT id FROM users ORDER BY created_at LIMIT 1").fetchone()
            if found is None:
                org_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
                db.execute(
                    "INSERT INTO organisations (id, fields, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?)", (org_id, json.dumps(DEFAULT_ORGANISATION_FIELDS),
                                             now, now),
                )
                db.execute(
                    "INSERT INTO users (id, email, password_hash, organisation_id, fields,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (user_id, email, hashed, org_id, json.dumps(DEFAULT_USER_FIELDS), now, now),
                )
            else:
                user_id = found["id"]
                db.execute("UPDATE users SET email = ?, password_hash = ? WHERE id = ?",
                           (email, hashed, user_id))
        user = self.user(user_id)
        assert user is not None
        return user

    def user(self, user_id: str) -> UserRecord | None:
        """The user with this id, or None."""
        row = self.store.read().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return None if row is None else _user(row)

    def authenticate(self, email: str | None, user_id: str | None,
                     password: str) -> UserRecord | None:
        """The user these credentials belong to, or None if they are wrong."""
        db = self.store.read()
        if email is not None:
            row = db.execute("SELECT * FROM users WHERE lower(email) = lower(?)",
                             (email,)).fetchone()
        else:
            row = db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None or not password_matches(password, row["password_hash"]):
            return None
        return _user(row)

    def update_user(self, user_id: str, fields: dict[str, Any]) -> None:
        """Replace the editable profile of a user."""
        with self.store.write() as db:
            db.execute("UPDATE users SET fields = ?, updated_at = ? WHERE id = ?",
                       (json.dumps(fields), self.clock(), user_id))

    def set_password(self, user_id: str, password: str) -> None:
        """Give a user a new password."""
        with self.store.write() as db:
            db.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                       (hash_password(password), self.clock(), user_id))

    def organisation(self, organisation_id: str) -> OrganisationRecord | None:
        """The organisation with this id, or None."""
        row = self.store.read().execute(
            "SELECT * FROM organisations WHERE id = ?", (organisation_id,)
        ).fetchone()
        if row is None:
            return None
        return OrganisationRecord(row["id"], json.loads(row["fields"]), row["created_at"],
                                  row["updated_at"])

    def update_organisation(self, organisation_id: str, fields: dict[str, Any]) -> None:
        """Replace the name, address and settings of an organisation."""
        with self.store.write() as db:
            db.execute("UPDATE organisations SET fields = ?, updated_at = ? WHERE id = ?",
                       (json.dumps(fields), self.clock(), organisation_id))


def _user(row: Any) -> UserRecord:
    return UserRecord(row["id"], row["email"], row["organisation_id"], json.loads(row["fields"]),
                      row["created_at"], row["updated_at"])
