"""A consumer's webhook receiver, run as its own process by the subscription tests:
`webhook_receiver.py PORT FILE SECRET FAIL_FIRST [DELAY_S]`.

It verifies every request with the Standard Webhooks library (a stock receiver, not the
platform's code), answers 503 to the first FAIL_FIRST valid ones, and appends each accepted
delivery to FILE (one JSON object a line, fsynced before it answers 204), DELAY_S seconds
after it arrived (a slow receiver).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORT, FILE, SECRET, FAIL_FIRST = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
DELAY_S = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
lock = threading.Lock()
failures_left = FAIL_FIRST


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._answer(200)

    def do_POST(self) -> None:
        global failures_left
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            payload = Webhook(SECRET).verify(body, dict(self.headers.items()))
        except WebhookVerificationError:
            self._answer(401)
            return
        if payload.get("delivery_id") != self.headers.get("webhook-id"):
            self._answer(400)
            return
        time.sleep(DELAY_S)
        with lock:
            if failures_left > 0:
                failures_left -= 1
                self._answer(503)
                return
            with open(FILE, "a", encoding="utf-8") as out:
                out.write(json.dumps(payload, ensure_ascii=False) + "\n")
                out.flush()
                os.fsync(out.fileno())
        self._answer(204)


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
