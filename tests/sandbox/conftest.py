"""Fixtures for talking to a real sandbox over loopback HTTP.

``sandbox`` is a fresh server per test (seed 7); ``make_sandbox(**options)`` starts one with
other options; ``client`` is an authenticated keep-alive ``httpx2.Client`` on it; ``new_listing``
creates a listing through the API and returns its wire form. Every sandbox is stopped at
teardown, and a test fails if the sandbox hit an internal error or left a thread running.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from sandbox_http import MakeSandbox, NewListing, client_for

from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    started: list[Sandbox] = []
    threads_before = {t.ident for t in threading.enumerate()}

    def make(**options: Any) -> Sandbox:
        options.setdefault("seed", 7)
        sandbox = start_sandbox(SandboxOptions(**options))
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()
    assert [s.internal_errors for s in started] == [0] * len(started), "sandbox internal error"
    leftover = [t.name for t in threading.enumerate() if t.ident not in threads_before]
    assert leftover == [], f"threads left running: {leftover}"


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> Sandbox:
    return make_sandbox()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx2.Client]:
    with client_for(sandbox) as http:
        yield http


@pytest.fixture
def new_listing(sandbox: Sandbox, client: httpx2.Client) -> NewListing:
    """Create a listing via ``POST /seller/listings``; keyword arguments override the body."""
    urns = sandbox.catalogue_urns(500)
    counter = iter(range(len(urns)))

    def create(**overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "urn": urns[next(counter)],
            "condition": "NM",
            "price": 150,
            "language": "English",
            "quantity": 3,
        }
        body.update(overrides)
        response = client.post("/seller/listings", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return create
