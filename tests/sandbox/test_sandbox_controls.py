"""The /_sandbox/ control routes over HTTP, request statistics, persistence and the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sandbox_http import MakeSandbox, NewListing, client_for

from syncd.sandbox import Sandbox


def control(client: httpx2.Client, path: str, body: Any = None, status: int = 200) -> Any:
    response = client.post(f"/_sandbox/{path}", json=body if body is not None else {})
    assert response.status_code == status, response.text
    return response.json()


def test_buyer_and_seller_simulation_over_http(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(quantity=5)
    order = control(client, "purchase", {"listingId": listing["id"], "quantity": 2}, 201)
    assert order["items"][0]["quantity"] == 2
    many = control(
        client, "purchase", {"items": [{"listingId": listing["id"]}], "buyer": "b2"}, 201
    )
    assert many["buyer"] == {"username": "b2"}
    refused = client.post("/_sandbox/purchase", json={"listingId": listing["id"], "quantity": 9})
    assert refused.status_code == 409 and refused.json()["statusCode"] == 409
    item_id = order["items"][0]["id"]
    assert (
        control(client, f"order-items/{item_id}/status", {"status": "DELIVERED"})["items"][0][
            "status"
        ]
        == "DELIVERED"
    )
    case = control(client, "cases", {"orderId": order["id"], "orderItemIds": [item_id]}, 201)
    proposed = control(client, f"cases/{case['id']}/outcomes", {"type": "RETURN"}, 201)
    assert proposed["outcomes"][-1]["party"] == "BUYER"
    assert control(client, f"cases/{case['id']}/status", {"status": "CLOSED"})["status"] == "CLOSED"
    other_item = many["items"][0]["id"]
    cancelled = control(client, f"order-items/{other_item}/cancel", {"status": "REFUNDED"})
    assert cancelled["items"][0]["status"] == "REFUNDED"
    edited = control(client, f"listings/{listing['id']}/edit", {"price": 999})
    assert edited["price"] == 999
    seeded = control(client, "listings", {"reference": "old-1"}, 201)
    assert seeded["reference"] == "old-1"
    listed = client.get("/_sandbox/listings").json()
    assert {x["id"] for x in listed} == {listing["id"], seeded["id"]}
    assert client.get("/_sandbox/catalogue", params={"n": 2}).json() == sandbox.catalogue_urns(2)


def test_clock_faults_and_script_over_http(sandbox: Sandbox, client: httpx2.Client) -> None:
    before = client.get("/_sandbox/clock").json()["now"]
    after = control(client, "clock/advance", {"seconds": 3600})["now"]
    assert after > before
    assert client.post("/_sandbox/clock/advance", json={"seconds": -1}).status_code == 400
    faults = control(client, "faults", {"rate": 5, "latency": 0, "error_codes": [503]})
    assert (faults["rate"], faults["burst"], faults["error_codes"]) == (5, 5, [503])
    assert client.post("/_sandbox/faults", json={"bogus": 1}).status_code == 400
    script = control(client, "script-faults", {"rules": [{"fault": "error", "times": 2}]})
    assert script["rules"][0]["times"] == 2
    assert client.get("/seller").status_code == 503
    assert client.get("/_sandbox/script-faults").json()["rules"][0]["times"] == 1
    control(client, "script-faults", {"rules": []})
    assert client.get("/seller").status_code == 200
    assert client.get("/_sandbox/nothing").status_code == 404


def test_stats_count_routes_by_template(sandbox: Sandbox, client: httpx2.Client) -> None:
    client.get("/seller/listings/lst_a")
    client.get("/seller/listings/lst_b")
    client.get("/no/such/path")
    stats = client.get("/_sandbox/stats").json()
    assert stats["GET /seller/listings/{id}"] == {"404": 2}
    assert stats["GET (unmatched)"] == {"404": 1}
    assert stats["totals"] == {"all": 3, "404": 3}
    assert sandbox.stats() == stats
    control(client, "stats/reset")
    assert sandbox.stats() == {"totals": {"all": 0}}
    client.get("/seller")
    sandbox.reset_stats()
    assert sandbox.stats()["totals"]["all"] == 0


def test_state_dump(sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing) -> None:
    listing = new_listing()
    order = sandbox.purchase(listing["id"])
    state = client.get("/_sandbox/state").json()
    direct = sandbox.state()
    assert direct.pop("now") >= state.pop("now")  # the clock runs between the two reads
    assert state == direct
    assert [x["id"] for x in state["listings"]] == [listing["id"]]
    assert [o["id"] for o in state["orders"]] == [order["id"]]
    assert list(state["history"]) == [order["id"]]
    assert state["seller"]["id"] == listing["sellerId"]
    assert sandbox.token not in json.dumps(state)


def test_persistence_round_trip(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    state_file = str(tmp_path / "sandbox.json")
    first = make_sandbox(seed=11, state_file=state_file)
    with client_for(first) as client:
        urn = first.catalogue_urns(1)[0]
        body = {"urn": urn, "condition": "NM", "price": 100, "language": "English"}
        created = client.post("/seller/listings", json={**body, "reference": "keep"}).json()
        order = first.purchase(created["id"])
        first.open_case(order["id"], [order["items"][0]["id"]])
        first.advance_clock(3600)
        saved = control(client, "save")["saved"]
        assert saved == state_file
    before = first.state()
    first.stop()
    assert Path(state_file).exists()

    second = make_sandbox(seed=11, state_file=state_file)
    after = second.state()
    for key in ("listings", "orders", "history", "cases", "seller"):
        assert after[key] == before[key], key
    assert after["now"] >= before["now"]  # the advanced clock came back too
    with client_for(second) as client:
        again = client.post("/seller/listings", json=body).json()
        assert again["id"] != created["id"]  # ids continue, no collision
        assert client.get(f"/seller/listings/{created['id']}").json()["reference"] == "keep"


def test_state_file_with_another_seed_is_refused(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    state_file = tmp_path / "s.json"
    make_sandbox(seed=1, state_file=str(state_file)).stop()
    with pytest.raises(ValueError, match="seed"):
        make_sandbox(seed=2, state_file=str(state_file))


# Drives sandbox_cmd exactly as syncd.cli.main does (register, then args.handler(args)), without
# importing the whole CLI: that pulls SQLAlchemy and friends and costs seconds on a busy machine.
CLI_LIKE_MAIN = """
import argparse, sys
from syncd.cli import sandbox_cmd
parser = argparse.ArgumentParser(prog="syncd")
sandbox_cmd.register(parser.add_subparsers(dest="command"))
args = parser.parse_args()
sys.exit(args.handler(args))
"""


def test_cli_serves_until_sigterm_and_saves(tmp_path: Path) -> None:
    state_file = tmp_path / "cli.json"
    command = [
        sys.executable, "-c", CLI_LIKE_MAIN, "sandbox", "--port", "0", "--seed", "5",
        "--token", "t0k", "--rate", "50", "--state-file", str(state_file),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url, token = process.stdout.readline().strip(), process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and token == "t0k"
        with httpx2.Client(
            base_url=url, headers={"Authorization": f"ApiKey {token}"}, verify=False
        ) as client:
            response = client.get("/seller")
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "50"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert json.loads(state_file.read_text())["seed"] == 5
