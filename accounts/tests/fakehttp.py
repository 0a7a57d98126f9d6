"""A real HTTP server in a thread that records requests and answers what the test says (WeChat, Aliyun...)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]


@dataclass
class FakeServer:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    # (status, json body) answered to the next requests; the last one repeats.
    answers: list[tuple[int, dict]] = field(default_factory=lambda: [(200, {})])

    def answer(self, body: dict, status: int = 200) -> None:
        self.answers = [(status, body)]


def start_fake_server() -> tuple[FakeServer, ThreadingHTTPServer]:
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            state.requests.append(Recorded(self.command, parts.path, query, body, dict(self.headers)))
            status, payload = state.answers[0] if len(state.answers) == 1 else state.answers.pop(0)
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _handle

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
