"""Auth, rate limits and injected faults, seen from a real HTTP client."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2
import pytest
from sandbox_http import MakeSandbox, client_for

from syncd.sandbox import Sandbox


def entry(urn: str, **overrides: Any) -> dict[str, Any]:
    return {"urn": urn, "condition": "NM", "price": 100, "language": "English", **overrides}


@pytest.mark.parametrize("scheme", ["Bearer", "ApiKey", "bearer", "APIKEY"])
def test_both_auth_schemes_work(sandbox: Sandbox, scheme: str) -> None:
    with client_for(sandbox, scheme) as client:
        assert client.get("/seller").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic sandbox-token"}],
)
def test_bad_credentials_are_401(sandbox: Sandbox, headers: dict[str, str]) -> None:
    with httpx2.Client(base_url=sandbox.url, headers=headers, verify=False) as client:
        response = client.post("/seller/listings/search", json={})
        assert response.status_code == 401
        assert response.json() == {
            "statusCode": 401,
            "message": "missing or invalid credentials",
            "error": "Unauthorized",
        }
        assert sandbox.token not in response.text
        urn = sandbox.catalogue_urns(1)[0]
        assert client.post("/items/lookup", json={"urns": [urn]}).status_code == 200  # public
        assert client.get("/items/prices", params={"urn": urn}).status_code == 200


def test_unknown_paths_are_404_with_the_error_body(client: httpx2.Client) -> None:
    response = client.get("/seller/webhooks")
    assert response.status_code == 404 and response.json()["statusCode"] == 404


def test_rate_limit_headers_and_429(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(rate=0.5, burst=3)
    with client_for(sandbox) as client:
        seen = [client.get("/seller") for _ in range(4)]
        assert [r.status_code for r in seen] == [200, 200, 200, 429]
        assert [r.headers["X-RateLimit-Limit"] for r in seen] == ["3"] * 4
        assert [r.headers["X-RateLimit-Remaining"] for r in seen] == ["2", "1", "0", "0"]
        assert int(seen[2].headers["X-RateLimit-Reset"]) in (5, 6)  # 3 tokens at 0.5/s
        assert seen[3].headers["Retry-After"] == "2"  # one token at 0.5/s, rounded up
        assert seen[3].json()["statusCode"] == 429
        sandbox.advance_clock(2)  # the sandbox clock refills the bucket
        assert client.get("/seller").status_code == 200
        # Another credential has its own bucket; the control paths are never limited.
        with httpx2.Client(base_url=sandbox.url, verify=False) as anonymous:
            assert anonymous.get("/seller").status_code == 401
            assert all(anonymous.get("/_sandbox/clock").status_code == 200 for _ in range(5))
    counts = sandbox.stats()["GET /seller"]
    assert counts == {"200": 4, "429": 1, "401": 1}
    assert "GET /_sandbox/clock" not in sandbox.stats()


def test_rate_limit_changes_at_run_time(sandbox: Sandbox, client: httpx2.Client) -> None:
    assert "X-RateLimit-Limit" not in client.get("/seller").headers  # off by default
    sandbox.set_faults(rate=1)
    response = client.get("/seller")
    assert response.headers["X-RateLimit-Limit"] == "1"  # burst defaults to int(rate)
    assert client.get("/seller").status_code == 429
    sandbox.set_faults(rate=None)
    assert client.get("/seller").status_code == 200
    with pytest.raises(ValueError, match="unknown"):
        sandbox.set_faults(rat=3)


def test_scripted_ambiguous_write_is_applied(sandbox: Sandbox, client: httpx2.Client) -> None:
    sandbox.script_faults(
        [{"method": "POST", "path": "/seller/listings/bulk", "fault": "ambiguous"}]
    )
    urn = sandbox.catalogue_urns(1)[0]
    response = client.post("/seller/listings/bulk", json={"listings": [entry(urn, reference="a")]})
    assert response.status_code == 500
    assert [x["reference"] for x in sandbox.listings()] == ["a"]  # applied despite the 500
    again = client.post("/seller/listings/bulk", json={"listings": [entry(urn, reference="b")]})
    assert again.status_code == 200  # one-shot: used up


def test_scripted_error_is_not_applied(sandbox: Sandbox, client: httpx2.Client) -> None:
    sandbox.script_faults(
        [{"path": "/seller/listings", "fault": "error", "status": 502, "times": 2}]
    )
    urn = sandbox.catalogue_urns(1)[0]
    first = client.post("/seller/listings", json=entry(urn))
    second = client.post("/seller/listings/search", json={})  # prefix match, any method
    assert (first.status_code, second.status_code) == (502, 502)
    assert sandbox.listings() == []
    assert client.post("/seller/listings", json=entry(urn)).status_code == 201


def test_scripted_429_carries_retry_after(sandbox: Sandbox, client: httpx2.Client) -> None:
    sandbox.script_faults([{"method": "GET", "fault": "429", "retry_after": 7}])
    throttled = client.get("/seller")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert client.get("/seller").status_code == 200


def test_dropped_connections(sandbox: Sandbox, client: httpx2.Client) -> None:
    urn = sandbox.catalogue_urns(1)[0]
    sandbox.script_faults(
        [
            {"method": "POST", "path": "/seller/listings", "fault": "drop_before"},
            {"method": "POST", "path": "/seller/listings", "fault": "drop_after"},
        ]
    )
    with pytest.raises(httpx2.TransportError):
        client.post("/seller/listings", json=entry(urn, reference="before"))
    assert sandbox.listings() == []
    with pytest.raises(httpx2.TransportError):
        client.post("/seller/listings", json=entry(urn, reference="after"))
    assert [x["reference"] for x in sandbox.listings()] == ["after"]
    assert client.get("/seller").status_code == 200  # the client reconnects
    assert sandbox.stats()["POST /seller/listings"] == {"dropped": 2}


def test_random_drops_on_writes_are_sometimes_applied(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(drop_rate=1.0)
    urns = sandbox.catalogue_urns(40)
    with client_for(sandbox) as client:
        for urn in urns:
            with pytest.raises(httpx2.TransportError):
                client.post("/seller/listings", json=entry(urn))
    applied = len(sandbox.listings())
    assert 0 < applied < len(urns)  # both cases happen, and the client can't tell which


def test_random_faults_are_deterministic_from_the_seed(make_sandbox: MakeSandbox) -> None:
    def statuses(seed: int) -> list[int]:
        sandbox = make_sandbox(seed=seed, error_rate=0.3, error_codes=(503, 504))
        with client_for(sandbox) as client:
            return [client.get("/seller").status_code for _ in range(40)]

    first, second, other = statuses(5), statuses(5), statuses(6)
    assert first == second
    assert first != other
    assert set(first) == {200, 503, 504}


def test_random_ambiguous_writes_apply_and_answer_500(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(ambiguous_rate=1.0)
    with client_for(sandbox) as client:
        urn = sandbox.catalogue_urns(1)[0]
        assert client.post("/seller/listings", json=entry(urn)).status_code == 500
        assert client.post("/seller/listings/search", json={}).status_code == 200  # not a write
    assert len(sandbox.listings()) == 1


def test_fault_rules_are_checked(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="fault must be"):
        sandbox.script_faults([{"fault": "explode"}])
    with pytest.raises(ValueError, match="unknown rule keys"):
        sandbox.script_faults([{"fault": "error", "paht": "/x"}])
    with pytest.raises(ValueError, match="between 0 and 1"):
        sandbox.set_faults(error_rate=2)


def test_latency_delays_every_answer(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(latency=0.2)
    with client_for(sandbox) as client:
        started = time.monotonic()
        assert client.get("/seller").status_code == 200
        assert time.monotonic() - started >= 0.2  # a floor, not a performance figure
        sandbox.set_faults(latency=0)
        assert sandbox.state()["faults"]["latency"] == 0


def test_concurrent_clients_keep_the_state_consistent(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox()
    urns = sandbox.catalogue_urns(80)
    errors: list[BaseException] = []

    def work(part: list[str]) -> None:
        try:
            with client_for(sandbox) as client:
                for urn in part:
                    created = client.post("/seller/listings", json=entry(urn, quantity=2)).json()
                    sandbox.purchase(created["id"], 1)
                    client.post("/seller/listings/search", json={"size": 5}).raise_for_status()
        except BaseException as exc:  # reported below, on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(urns[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = sandbox.listings()
    assert len(stored) == 80 and all(x["quantity"] == 1 for x in stored)
    assert len({x["id"] for x in stored}) == 80
    assert len(sandbox.state()["orders"]) == 80
