"""The base of eojobs' data models: frozen dataclasses that pydantic validates on demand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Model:
    """Base of eojobs' models: frozen dataclasses, with the part of pydantic's API eojobs uses.

    A plugin may subclass it for models of its own platform's extras.

    They are plain dataclasses so that a command that only lists services or
    jobs does not pay for importing pydantic; pydantic is imported the first
    time a model is validated from raw data or dumped as JSON, and then gives
    exactly its usual results.
    """

    #: Read by pydantic when it validates: unknown keys are errors.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    def model_dump(self, *, mode: str = "python", exclude: set[str] | None = None) -> Any:
        """The model as a dict; ``mode="json"`` gives JSON types, as pydantic does."""
        return _adapter(type(self)).dump_python(self, mode=mode, exclude=exclude)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with the fields in ``update`` replaced."""
        return replace(self, **(update or {}))

    @classmethod
    def model_validate(cls, data: Any) -> Any:
        """A model from raw data (a dict of JSON-like values), validated and coerced by pydantic.

        Raises pydantic's ValidationError.
        """
        return _adapter(cls).validate_python(data)

    def _coerce(self, name: str, kind: Any, many: bool = False) -> None:
        """Turn the field ``name`` given as a plain value (an enum's value, a dict of a
        model's fields, or a list of them) into ``kind``, as pydantic did for callers."""
        value = getattr(self, name)

        def one(item: Any) -> Any:
            if isinstance(item, kind) or item is None:
                return item
            if isinstance(item, dict) and issubclass(kind, Model):
                return kind(**item)
            try:
                return kind(item)
            except (ValueError, TypeError) as exc:
                raise TypeError(f"{type(self).__name__}.{name}: {item!r} is not a "
                                f"{kind.__name__}") from exc

        object.__setattr__(self, name, [one(v) for v in value] if many else one(value))

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of each field, so that ``dict(model)`` works as with pydantic."""
        return iter([(f.name, getattr(self, f.name)) for f in fields(self)])

    @classmethod
    def field_names(cls) -> list[str]:
        """The names of the model's fields, in order."""
        return [f.name for f in fields(cls)]


_ADAPTERS: dict[type, Any] = {}


def _adapter(model: type) -> Any:
    """pydantic's TypeAdapter of ``model``, made once."""
    found = _ADAPTERS.get(model)
    if found is None:
        from pydantic import TypeAdapter

        found = _ADAPTERS[model] = TypeAdapter(model)
    return found
