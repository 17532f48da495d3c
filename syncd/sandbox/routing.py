"""Route tables: a method and a path template (``/seller/listings/{id}``) to a handler.

``Call`` is one parsed request as handlers see it; ``Reply`` is what they answer. The template
string is also the key the request statistics use. This module must not know any route.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import unquote

Query = dict[str, list[str]]
C = TypeVar("C")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str]
    query: Query
    body: Any


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # None: no body at all (204)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route(Generic[C]):
    method: str
    template: str
    handler: Callable[[C, Call], Reply]
    public: bool = False  # needs no credential
    writes: bool = False  # changes state: eligible for ambiguous and applied-then-dropped faults

    segments: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.template.strip("/").split("/")))

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"

    def match(self, method: str, segments: Sequence[str]) -> dict[str, str] | None:
        wanted = self.segments
        if method != self.method or len(wanted) != len(segments):
            return None
        params: dict[str, str] = {}
        for pattern, actual in zip(wanted, segments, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                if not actual:
                    return None
                params[pattern[1:-1]] = unquote(actual)
            elif pattern != actual:
                return None
        return params


def find_route(
    routes: Sequence[Route[C]], method: str, path: str
) -> tuple[Route[C], dict[str, str]] | None:
    segments = path.strip("/").split("/")
    for route in routes:
        params = route.match(method, segments)
        if params is not None:
            return route, params
    return None
