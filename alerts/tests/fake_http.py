"""A real local HTTP server that records requests and answers from a script: the outside services in tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


Reply = tuple[int, Any]  # (status, JSON body or raw bytes)


@dataclass
class FakeService:
    """Answers each request with ``handler(seen)`` (default 200 ``{}``) and keeps every request in ``seen``."""

    handler: Callable[[Seen], Reply] = lambda seen: (200, {})
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


class _Handler(BaseHTTPRequestHandler):
    service: FakeService

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        seen = Seen(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        self.service.seen.append(seen)
        status, body = self.service.handler(seen)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _serve

    def log_message(self, *args) -> None:  # keep test output clean
        pass


class running:
    """``with running(FakeService(...)) as service:`` serves on a free port until the block ends."""

    def __init__(self, service: FakeService) -> None:
        self.service = service
        handler = type("Handler", (_Handler,), {"service": service})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        service.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeService:
        self.thread.start()
        return self.service

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
