"""Reading a platform's answers: one of an unexpected shape is a BackendError, not a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from eojobs.errors import BackendError

T = TypeVar("T")


def reads_answers(platform: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate a backend method whose reading of ``platform``'s answers may meet a bad shape.

    A missing key or a value of the wrong type in what the platform sent
    (KeyError, TypeError, ValueError, AttributeError) becomes one BackendError.
    """
    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return method(*args, **kwargs)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                problems = validation_problems(exc)
                what = "; ".join(problems) if problems else f"{type(exc).__name__}: {exc}"
                raise BackendError(f"{platform} answered in an unexpected shape "
                                   f"({what})") from exc
        return wrapper
    return decorate


def validation_problems(exc: BaseException) -> list[str]:
    """A pydantic ValidationError's problems, each as ``where: what``; [] for other errors.

    pydantic is not imported: an error that is not one of its own has no ``errors()``.
    """
    errors = getattr(exc, "errors", None)
    if not callable(errors) or type(exc).__name__ != "ValidationError":
        return []
    problems = []
    for error in errors():
        where = ".".join(str(p) for p in error.get("loc") or ())
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return problems
