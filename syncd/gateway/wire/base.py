"""The base of every wire model: how Managem JSON maps onto Python values.

Managem's docs leave many fields optional, enums open and shapes loose (managem-api.md §7), so
every model here ignores unknown fields, takes camelCase or snake_case keys, keeps enum-like
values as plain strings and treats a missing optional field as ``None`` or empty. Models are
frozen values. This module must not do any I/O or import the HTTP client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic.alias_generators import to_camel


def _whole_or_none(value: Any) -> Any:
    """An optional amount the contract says is whole pence: anything else (12.5, "lots", true)
    reads as absent, so one odd value cannot fail a whole page on every poll."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _ids(value: Any) -> Any:
    """A list of ids: nulls inside it are dropped, numbers read as strings (a null list is
    the field's default already, by ``WireModel._null_means_default``)."""
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return value


Pence = Annotated[int | None, BeforeValidator(_whole_or_none)]
IdList = Annotated[list[str], BeforeValidator(_ids)]


class WireModel(BaseModel):
    """Frozen, lenient model over a Managem JSON object."""

    model_config = ConfigDict(
        extra="ignore",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        frozen=True,
        # Free-form strings (grading score, card number) sometimes arrive as numbers.
        coerce_numbers_to_str=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        # Optional arrays and flags sometimes come back as null. Where the field has a
        # non-null default (an empty list, False), null means "use the default".
        if not isinstance(data, dict):
            return data
        keep_default: set[str] = set()
        for name, field in cls.model_fields.items():
            has_default = field.default_factory is not None or (
                not field.is_required() and field.default is not None
            )
            if has_default:
                keep_default.add(name)
                if field.alias:
                    keep_default.add(field.alias)
        return {k: v for k, v in data.items() if v is not None or k not in keep_default}


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime; ``None`` if absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """A datetime as Managem writes them (§1.5): UTC, milliseconds, ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


class Timestamped(WireModel):
    """A resource with ``createdAt``/``updatedAt`` strings and parsed views of them."""

    created_at: str | None = None
    updated_at: str | None = None

    @property
    def created(self) -> datetime | None:
        return parse_timestamp(self.created_at)

    @property
    def updated(self) -> datetime | None:
        return parse_timestamp(self.updated_at)


def lift(data: Any, source: str, key: str, target: str) -> Any:
    """Copy ``data[source][key]`` to ``data[target]`` when the target is absent.

    Used where syncd wants a flat field that Managem nests (``item.urn``, ``min.price``).
    """
    if not isinstance(data, dict):
        return data
    if data.get(target) is not None:
        return data
    nested = data.get(source)
    if isinstance(nested, dict) and nested.get(key) is not None:
        return {**data, target: nested[key]}
    return data
