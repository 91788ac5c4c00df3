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
                raise BackendError(f"{platform} answered in an unexpected shape "
                                   f"({type(exc).__name__}: {exc})") from exc
        return wrapper
    return decorate
