"""A local stand-in for an SMSAPI-style gateway (the protocol described in sms.py), for the
demo and tests: real HTTP, bearer token, idempotency by idx; messages kept in memory.

Run: manage.py sms_standin --port 8025 --token demo-token"""

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class StandIn:
    def __init__(self, token: str):
        self.token = token
        self.sent: list[dict] = []
        self.by_idx: dict[str, dict] = {}
        self.ids = itertools.count(1000)
        self.lock = threading.Lock()
        self.fail_next = 0  # the next N requests answer HTTP 503 (to test retries)

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        if self.fail_next:
            self.fail_next -= 1
            return 503, {"error": 999, "message": "temporarily unavailable"}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": 101, "message": "Authorization failed"}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        to, text = form.get("to", ""), form.get("message", "")
        if not to.isdigit() or len(to) < 9:
            return 400, {"error": 13, "message": "Invalid recipient number"}
        if not text:
            return 400, {"error": 11, "message": "Message empty"}
        with self.lock:
            idx = form.get("idx", "")
            if idx and form.get("check_idx") == "1" and idx in self.by_idx:
                return 200, {"count": 1, "list": [self.by_idx[idx]]}
            item = {"id": str(next(self.ids)), "number": to, "status": "QUEUE", "points": 0.16}
            self.sent.append({**item, "message": text, "from": form.get("from", ""), "idx": idx})
            if idx:
                self.by_idx[idx] = item
        return 200, {"count": 1, "list": [item]}


def serve(host: str = "127.0.0.1", port: int = 0, token: str = "test-token") -> tuple[ThreadingHTTPServer, StandIn]:
    state = StandIn(token)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server API)
            if self.path.rstrip("/") != "/sms.do":
                self._answer(404, {"error": 404, "message": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            status, body = state.handle(self.headers, self.rfile.read(length))
            self._answer(status, body)

        def _answer(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # keep phone numbers out of the logs
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state
