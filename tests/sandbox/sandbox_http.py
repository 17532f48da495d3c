"""Helpers the sandbox tests share (a module with a unique name: every test folder has its own
``conftest``, so importing from ``conftest`` could pick up another folder's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

from syncd.sandbox import Sandbox

MakeSandbox = Callable[..., Sandbox]
NewListing = Callable[..., dict[str, Any]]


def client_for(sandbox: Sandbox, scheme: str = "Bearer") -> httpx2.Client:
    """A keep-alive client on the sandbox with its token in the given scheme."""
    return httpx2.Client(
        base_url=sandbox.url,
        headers={"Authorization": f"{scheme} {sandbox.token}"},
        timeout=5.0,
        verify=False,  # plain HTTP on loopback; skipping the CA bundle saves ~0.1 s per client
    )
