"""Reading and checking request bodies: typed fields out, or a 400 ``ApiError``.

The listing rules of §6 that are about one request's fields live here (condition values, grading
all-or-none, ≤ 255 notes/reference, empty reference → null). Rules that need the stored state
(ownership, locks, stock) live in the modules that own that state. No HTTP, no state here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncd.sandbox.errors import bad_request

CONDITIONS = ("M", "NM", "EX", "GD", "LP", "PL", "PO")
TEXT_LIMIT = 255
GRADING_FIELDS = ("gradingProvider", "gradingScore", "gradingNumber")


def require_object(body: Any, what: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"{what} must be a JSON object")
    return body


def get_int(
    body: dict[str, Any],
    name: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    value = body.get(name, default)
    if value is None:
        raise bad_request(f"{name} is required")
    # bool is an int in Python but not in JSON terms; floats with a fraction are not pence.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise bad_request(f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise bad_request(f"{name} must be at most {maximum}")
    return value


def get_str(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def get_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false")
    return value


def get_str_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"{name} must be an array of strings")
    return list(value)


def get_choice(body: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value not in choices:
        raise bad_request(f"{name} must be one of {', '.join(choices)}")
    return str(value)


def normalise_text(value: str | None, name: str) -> str | None:
    """Trim; empty becomes null; over 255 characters is refused (§6.4)."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > TEXT_LIMIT:
        raise bad_request(f"{name} must be at most {TEXT_LIMIT} characters")
    return value or None


@dataclass(frozen=True)
class ListingFields:
    """The editable fields of a listing, checked; what create, PUT and website edits write."""

    condition: str
    price: int
    language: str
    quantity: int
    variants: list[str]
    comment: str | None
    grading_provider: str | None
    grading_score: str | None
    grading_number: str | None
    hidden: bool
    notes: str | None
    reference: str | None


def parse_listing_fields(body: Any, *, creating: bool) -> ListingFields:
    """Check a create or full-replacement body. Create defaults quantity to 1 and needs ≥ 1."""
    data = require_object(body)
    condition = get_str(data, "condition")
    if condition not in CONDITIONS:
        raise bad_request(f"condition must be one of {', '.join(CONDITIONS)}")
    language = get_str(data, "language") or ""
    if not language.strip():
        raise bad_request("language must not be empty")
    grading = [get_str(data, name, required=False) or None for name in GRADING_FIELDS]
    if any(grading) and not all(grading):
        raise bad_request(
            "gradingProvider, gradingScore and gradingNumber go together or not at all"
        )
    return ListingFields(
        condition=condition,
        price=get_int(data, "price", minimum=1),
        language=language,
        quantity=get_int(
            data, "quantity", default=1 if creating else None, minimum=1 if creating else 0
        ),
        variants=get_str_list(data, "variants"),
        comment=get_str(data, "comment", required=False),
        grading_provider=grading[0],
        grading_score=grading[1],
        grading_number=grading[2],
        hidden=get_bool(data, "hidden", False),
        notes=normalise_text(get_str(data, "notes", required=False), "notes"),
        reference=normalise_text(get_str(data, "reference", required=False), "reference"),
    )
