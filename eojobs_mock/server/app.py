"""The WSGI application: match the route, check the bearer token, call the handler, map errors."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NoRoute
from werkzeug.wrappers import Request, Response

from eojobs.errors import EOJobsError, InputError, InsufficientCredits, NotFound
from eojobs_mock.server.errors import ApiError, not_found
from eojobs_mock.server.jobs import JobIndex
from eojobs_mock.server.routing import ROUTES
from eojobs_mock.server.state import ServerState
from eojobs_mock.server.wire import error_response, json_response

log = logging.getLogger("eojobs_mock.server")


class Call:
    """One request as a handler sees it: the request, the server's state, the caller."""

    def __init__(self, request: Request, state: ServerState, index: JobIndex,
                 user_id: str | None) -> None:
        self.request = request
        self.state = state
        self.index = index
        self.user_id = user_id

    @property
    def base_url(self) -> str:
        """The URL the client reached the server at, for absolute URLs in responses."""
        return self.request.host_url.rstrip("/")

    def organisation(self, organisation_id: uuid.UUID) -> str:
        """The caller's organisation id if the path names it; 404 otherwise."""
        if str(organisation_id) != self.state.organisation_id:
            raise not_found(f"No organisation with id {organisation_id}.")
        return self.state.organisation_id


class FusionApp:
    """The Fusion Platform REST API over the mock platform's state."""

    def __init__(self, state: ServerState) -> None:
        from eojobs_mock.server import resources

        resources.load()
        self.state = state
        self.index = JobIndex(state)
        self.url_map, self.routes = ROUTES.url_map()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The WSGI entry point."""
        request = Request(environ)
        response = self.respond(request)
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        """The response to one request; every failure becomes ``{"error_message": ...}``."""
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match()
            route = self.routes[str(endpoint)]
            user_id = None
            if not route.public:
                user_id = self.state.tokens.user_id(request.headers.get("Authorization"))
                if self.state.accounts.user(user_id) is None:
                    raise ApiError(401, "The user of this token no longer exists.")
            result = route.handler(Call(request, self.state, self.index, user_id), **arguments)
        except ApiError as error:
            return error_response(error.status, error.message)
        except MethodNotAllowed:
            return error_response(405, f"{request.method} is not allowed on {request.path}.")
        except NoRoute:
            return error_response(404, f"No such endpoint: {request.method} {request.path}")
        except HTTPException as error:
            return error_response(error.code or 400, error.description or error.name)
        except EOJobsError as error:
            return error_response(_status(error), str(error))
        except Exception:
            log.exception("internal error on %s %s", request.method, request.path)
            return error_response(500, "Internal error in the mock server; see its log.")
        return result if isinstance(result, Response) else json_response(result)


def _status(error: EOJobsError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InsufficientCredits):
        return 402
    if isinstance(error, InputError):
        return 400
    return 409
