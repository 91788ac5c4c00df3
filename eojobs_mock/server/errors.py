"""API errors: a status and a message, sent as ``{"error_message": ...}``."""

from __future__ import annotations


class ApiError(Exception):
    """A request the server refuses, with the HTTP status and the message to send."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    """400: the request is malformed or asks for something invalid."""
    return ApiError(400, message)


def unauthorised(message: str) -> ApiError:
    """401: no valid bearer token."""
    return ApiError(401, message)


def forbidden(message: str) -> ApiError:
    """403: the caller may not do this (or a signed URL is invalid)."""
    return ApiError(403, message)


def not_found(message: str) -> ApiError:
    """404: no such object."""
    return ApiError(404, message)


def conflict(message: str) -> ApiError:
    """409: the object is not in a state that allows this."""
    return ApiError(409, message)
