"""The socket side: a stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive.

It reads each request, hands it to ``SandboxApp.handle`` and writes the reply, or closes the
connection without a word when the app says "drop" (the fault an ASGI server cannot produce).
It tracks open connections so ``stop`` can end idle keep-alive ones and join every thread.
This module must not make any marketplace decision.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from syncd.sandbox.app import SandboxApp
from syncd.sandbox.routing import Reply

IDLE_TIMEOUT = 120.0  # seconds a keep-alive connection may sit idle before the server closes it


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # never keeps the interpreter alive; ``join_connections`` ends them
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connection_threads: list[threading.Thread] = []  # stdlib skips daemons
        self._guard = threading.Lock()
        self._stopping = False
        super().__init__(address, SandboxRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="sandbox-connection",
            daemon=True,
        )
        with self._guard:
            self._connection_threads = [t for t in self._connection_threads if t.is_alive()]
            self._connection_threads.append(thread)
        thread.start()

    def join_connections(self, timeout: float = 10.0) -> None:
        """Wait for every connection thread to finish (after ``close_connections``)."""
        with self._guard:
            threads = list(self._connection_threads)
        for thread in threads:
            thread.join(timeout)

    def track(self, connection: socket.socket) -> None:
        with self._guard:
            self._connections.add(connection)
            stopping = self._stopping
        if stopping:
            _shut(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._guard:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Wake every handler blocked on an idle keep-alive socket so its thread can end."""
        with self._guard:
            self._stopping = True
            open_now = list(self._connections)
        for connection in open_now:
            _shut(connection)


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        connection.shutdown(socket.SHUT_RDWR)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ManagemSandbox/1"
    timeout = IDLE_TIMEOUT
    # One buffered write per answer (flushed by the base class after each request) and no Nagle:
    # headers and body sent as two small segments would wait ~40 ms on the peer's delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        body = self._read_body()
        outcome = self.server.app.handle(
            self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
        )
        if outcome.delay > 0:
            time.sleep(outcome.delay)
        if outcome.reply is None:
            # Say nothing and close: the client cannot know whether the request was applied.
            self.close_connection = True
            return
        self._write(outcome.reply)

    def _write(self, reply: Reply) -> None:
        payload = b"" if reply.body is None else _encode(reply.body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status != 204:
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks make thousands of requests; stats() counts them instead."""


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
