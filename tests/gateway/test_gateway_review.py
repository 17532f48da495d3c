"""Adversarial review findings for the gateway: each test pins a defect that was fixed."""

from __future__ import annotations

import random
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator

import httpx2
import pytest
from gateway_fakes import Script, make_gateway

from syncd.clock import FakeClock, SystemClock
from syncd.errors import ConfigError, GatewayError, Rejected
from syncd.gateway import Gateway, ratelearn
from syncd.gateway.endpoints import Lane
from syncd.gateway.ratelimit import RateLimiter
from syncd.settings import ManagemSettings, RateLimitSettings, load_settings

SECRET = "tok-SECRET-1234567890"


@pytest.fixture
def listening() -> Iterator[str]:
    """A loopback port that accepts connections (kernel backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_token_with_a_trailing_newline_never_leaks_escaped(listening: str) -> None:
    # An env file or `echo tok > file` leaves a newline; the HTTP stack then quotes the header
    # as b'Bearer tok\n' in its error, where the raw secret (with a real newline) is not found
    # by the redactor. The token must be trimmed, so it is sent and masked as itself.
    settings = ManagemSettings(base_url=listening, token=SECRET + "\n", read_timeout=0.2)
    limits = RateLimitSettings(max_attempts=1)
    gw = Gateway(settings, limits, clock=SystemClock(), rng=random.Random(1))
    with gw, pytest.raises(GatewayError) as caught:
        gw.seller()
    texts = [str(caught.value), repr(caught.value), str(caught.value.__cause__)]
    assert all(SECRET not in text for text in texts), texts


@pytest.mark.parametrize("bad", ["tok en-1234", "tok\x00en-1234", "tøken-1234"])
def test_a_token_that_cannot_be_a_header_is_a_config_error_without_its_value(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(managem={"token": bad})
    assert "managem.token" in str(caught.value)
    assert bad not in str(caught.value) and "1234" not in str(caught.value)


class _Dripper:
    """A loopback server answering 200 with a 400-byte body sent one byte every 20 ms:
    never idle long enough for a read timeout, far too slow for the call deadline."""

    def __init__(self) -> None:
        self.sent = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(5)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._sock.accept()
        with conn:
            conn.recv(65536)
            body = b'{"id":"' + b"x" * 390 + b'"}'
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
            conn.sendall(head.encode() + b"Content-Type: application/json\r\n\r\n")
            try:
                for byte in body:
                    conn.sendall(bytes([byte]))
                    self.sent += 1
                    time.sleep(0.02)
            except OSError:
                pass  # the client hung up: what we want

    def close(self) -> None:
        self._thread.join(timeout=15)
        self._sock.close()


def test_the_call_deadline_bounds_an_answer_dripped_byte_by_byte() -> None:
    # httpx2's timeouts are per read: a server sending a byte every 20 ms never trips read=1,
    # so only the gateway can bound the whole call by its deadline.
    dripper = _Dripper()
    try:
        settings = ManagemSettings(
            base_url=dripper.url, token=SECRET, read_timeout=1.0, call_deadline=0.3
        )
        limits = RateLimitSettings(max_attempts=1)
        gw = Gateway(settings, limits, clock=SystemClock(), rng=random.Random(1))
        with gw, pytest.raises(GatewayError, match="deadline"):
            gw.seller()
    finally:
        dripper.close()
    assert dripper.sent < 390  # the client gave up well before the body was complete


@pytest.mark.parametrize("learn", [True, False])
def test_answers_without_rate_headers_do_not_grow_the_limiter_for_ever(learn: bool) -> None:
    # The daemon runs for months; a server that sends no X-RateLimit-* headers (or learning
    # turned off) must not make the limiter keep a record of every call it ever made.
    lim = RateLimiter(RateLimitSettings(rate=10.0, burst=5, learn_from_headers=learn), FakeClock())

    def allocated_in_ratelearn(calls: int) -> int:
        tracemalloc.start()
        try:
            for _ in range(calls):
                lim.finish(lim.acquire(Lane.BULK), status=200, headers={})
            snapshot = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        traces = snapshot.filter_traces([tracemalloc.Filter(True, ratelearn.__file__)])
        return sum(stat.size for stat in traces.statistics("filename"))

    allocated_in_ratelearn(20_000)  # whatever a bounded record settles at
    assert allocated_in_ratelearn(20_000) < 200_000


@pytest.mark.parametrize("cut", [188, 488])
def test_an_echoed_token_cut_by_the_length_limits_is_still_masked(cut: int) -> None:
    # Messages are kept to 200 characters and bodies to 500. Cutting before masking left the
    # head of a token that straddles the cut, which the redactor (looking for all of it) missed.
    clock = FakeClock()
    text = "x" * cut + SECRET + " rest"
    answer = httpx2.Response(400, json={"statusCode": 400, "message": text})
    padded = httpx2.Response(400, text=text)
    script = Script(clock).on("GET", "/seller/listings/A", answer)
    script.on("GET", "/seller/listings/B", padded)
    seen: list[str] = []
    with make_gateway(script, clock) as gw:
        for listing_id in "AB":
            with pytest.raises(Rejected) as caught:
                gw.get_listing(listing_id)
            seen += [str(caught.value), caught.value.body]
    head = SECRET[:10]
    assert all(head not in text for text in seen), seen
