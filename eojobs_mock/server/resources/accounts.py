"""Users, organisations and credits, and logging in."""

from __future__ import annotations

import uuid
from typing import Any

from eojobs_mock.engine.accounts import password_problem
from eojobs_mock.server.app import Call
from eojobs_mock.server.bodies import flat_fields, nested_fields
from eojobs_mock.server.errors import bad_request, forbidden, not_found
from eojobs_mock.server.routing import ROUTES
from eojobs_mock.server.wire import iso, model_envelope

WRONG_LOGIN = "Incorrect username or password."
USER_FIELDS = ("given_name", "family_name", "telephone", "role", "default_output_storage_period",
               "time_zone", "locale", "units", "notification_service_status",
               "notification_account", "notification_processing_chain",
               "notification_new_features", "notification_contact")
ORGANISATION_FIELDS = ("name", "address_line_1", "address_line_2", "address_town_city",
                       "address_post_zip_code", "address_country", "payment_customer",
                       "income_customer", "income_tax_rate", "income_tax_reference", "currency")


@ROUTES.add("POST", "/users/login", public=True)
def login(call: Call) -> dict[str, Any]:
    """Check e-mail (or user id) and password; return the id, access and refresh tokens."""
    given = nested_fields(call.request, "User")
    email, user_id, password = given.get("email"), given.get("user_id"), given.get("password")
    if not isinstance(password, str) or not password:
        raise bad_request("User password is required")
    if not isinstance(email, str) and not isinstance(user_id, str):
        raise bad_request("User email or user_id is required")
    user = call.state.accounts.authenticate(email if isinstance(email, str) else None,
                                            user_id if isinstance(user_id, str) else None,
                                            password)
    if user is None:
        raise bad_request(WRONG_LOGIN)
    tokens = call.state.tokens.issue(user.id, user.email)
    return {"id_token": tokens.id_token, "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token}


def _own_user(call: Call, user_id: uuid.UUID) -> Any:
    if str(user_id) != call.user_id:
        raise not_found(f"No user with id {user_id}.")
    user = call.state.accounts.user(str(user_id))
    if user is None:
        raise not_found(f"No user with id {user_id}.")
    return user


def _user_json(user: Any) -> dict[str, Any]:
    return {"id": user.id, "created_at": iso(user.created_at), "updated_at": iso(user.updated_at),
            "email": user.email, **user.fields,
            "organisations": [{"id": user.organisation_id, "last": True}]}


@ROUTES.add("GET", "/users/<uuid:user_id>")
def get_user(call: Call, user_id: uuid.UUID) -> dict[str, Any]:
    """The logged-in user."""
    return model_envelope(_user_json(_own_user(call, user_id)))


@ROUTES.add("PATCH", "/users/<uuid:user_id>")
def patch_user(call: Call, user_id: uuid.UUID) -> dict[str, Any]:
    """Change the user's profile (read-only fields in the body are ignored)."""
    user = _own_user(call, user_id)
    given = flat_fields(call.request, "User")
    fields = dict(user.fields)
    for key in USER_FIELDS:
        if key in given:
            fields[key] = given[key]
    for key in ("given_name", "family_name", "time_zone", "locale", "units"):
        if not isinstance(fields.get(key), str) or not fields[key]:
            raise bad_request(f"User[{key}] must be a non-empty string")
    if not isinstance(fields.get("default_output_storage_period"), int):
        raise bad_request("User[default_output_storage_period] must be a whole number of days")
    call.state.accounts.update_user(user.id, fields)
    return model_envelope(_user_json(call.state.accounts.user(user.id)))


@ROUTES.add("DELETE", "/users/<uuid:user_id>")
def delete_user(call: Call, user_id: uuid.UUID) -> dict[str, Any]:
    """Refused: the mock platform's demo user cannot be deleted."""
    _own_user(call, user_id)
    raise forbidden("The demo user of the mock platform cannot be deleted.")


@ROUTES.add("POST", "/users/<uuid:user_id>/change_password")
def change_password(call: Call, user_id: uuid.UUID) -> dict[str, Any]:
    """Change the password, given the old one."""
    user = _own_user(call, user_id)
    given = nested_fields(call.request, "User")
    old, new = given.get("old_password"), given.get("new_password")
    if not isinstance(old, str) or not isinstance(new, str):
        raise bad_request("User old_password and new_password are required")
    if call.state.accounts.authenticate(None, user.id, old) is None:
        raise bad_request(WRONG_LOGIN)
    problem = password_problem(new)
    if problem is not None:
        raise bad_request(f"User new_password: {problem}")
    call.state.accounts.set_password(user.id, new)
    return {}


def _organisation_json(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    record = call.state.accounts.organisation(call.organisation(organisation_id))
    assert record is not None
    user = call.state.accounts.user(call.user_id or "")
    members = [{"id": user.id, "email": user.email, "roles": ["owner"]}] if user else []
    return {"id": record.id, "created_at": iso(record.created_at),
            "updated_at": iso(record.updated_at), **record.fields, "users": members,
            "agreed_licenses": [], "offers": []}


@ROUTES.add("GET", "/organisations/<uuid:organisation_id>")
def get_organisation(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """The user's organisation."""
    return model_envelope(_organisation_json(call, organisation_id))


@ROUTES.add("PATCH", "/organisations/<uuid:organisation_id>")
def patch_organisation(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """Change the organisation's name, address or billing fields."""
    record = call.state.accounts.organisation(call.organisation(organisation_id))
    assert record is not None
    given = flat_fields(call.request, "Organisation")
    fields = dict(record.fields)
    fields.update({key: given[key] for key in ORGANISATION_FIELDS if key in given})
    for key in ("name", "address_line_1", "address_town_city", "address_post_zip_code",
                "address_country"):
        if not isinstance(fields.get(key), str) or not fields[key].strip():
            raise bad_request(f"Organisation[{key}] must be a non-empty string")
    call.state.accounts.update_organisation(record.id, fields)
    return model_envelope(_organisation_json(call, organisation_id))


@ROUTES.add("DELETE", "/organisations/<uuid:organisation_id>")
def delete_organisation(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """Refused: the mock platform's organisation owns every job."""
    call.organisation(organisation_id)
    raise forbidden("The organisation of the mock platform cannot be deleted.")


@ROUTES.add("GET", "/organisations/<uuid:organisation_id>/credits/<uuid:credit_id>")
def get_credit(call: Call, organisation_id: uuid.UUID, credit_id: uuid.UUID) -> dict[str, Any]:
    """The organisation's credits (its id is the organisation's id)."""
    organisation = call.organisation(organisation_id)
    if str(credit_id) != organisation:
        raise not_found(f"No credit record with id {credit_id}.")
    record = call.state.accounts.organisation(organisation)
    assert record is not None
    now = iso(call.state.clock())
    return model_envelope({
        "id": organisation, "created_at": iso(record.created_at), "updated_at": now,
        "organisation_id": organisation, "any_credits": call.state.platform.credits(),
        "cloud_storage_credits": 0, "registry_storage_credits": 0, "runtime_any_credits": 0,
        "runtime_ssds": [], "spend": [],
    })
