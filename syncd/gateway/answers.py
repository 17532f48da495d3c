"""Reading Managem answers into wire models, and the checks made before a batch is sent.

A 2xx whose body is not the assumed shape becomes ``UnexpectedResponse`` (a ``Retriable``),
except after a create, where the write happened but cannot be read: that is an
``AmbiguousWrite`` for the intent log to reconcile. No HTTP or logging here.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from syncd.gateway.endpoints import Endpoint
from syncd.gateway.outcomes import UnexpectedResponse, ambiguous_error

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], endpoint: Endpoint, data: Any, *, sent: Any = None) -> M:
    """``data`` as a ``model``, or the error that says the answer was not what we assume."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        if endpoint.unsafe_write:
            # The write was answered 2xx but we cannot read what it made: reconcile.
            raise ambiguous_error(endpoint, "unreadable answer", sent, None) from exc
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:3]
        )
        raise unexpected(endpoint, f"{model.__name__}: {problems}") from exc


def json_of(response: httpx2.Response) -> Any:
    """The body as JSON, or ``None`` when it is not JSON (the model check then says so)."""
    try:
        return response.json()
    except ValueError:
        return None


def check_batch(endpoint: Endpoint, count: int) -> None:
    """Refuse, before sending, a batch larger than the endpoint takes."""
    limit = endpoint.max_items
    if limit is not None and count > limit:
        raise ValueError(f"{endpoint.operation}: at most {limit} items per call, got {count}")


def unexpected(endpoint: Endpoint, detail: str) -> UnexpectedResponse:
    return UnexpectedResponse(
        f"{endpoint.operation}: unexpected answer from {endpoint.method} {endpoint.path}: {detail}",
        operation=endpoint.operation,
    )
