"""A webhook endpoint for the delivery tests (tests/it/webhook_delivery.rs).

Every delivery (a POST to any path but the control ones) is verified with the published Standard
Webhooks library (`standardwebhooks.Webhook(secret).verify(body, headers)`), not the server's own
code. A delivery that does not verify is answered 401. One that does is answered 500 the first
time its `webhook-id` arrives and 200 every time after, so each event needs a retry.

Control paths:
  POST /secret    the body is the endpoint's secret (`whsec_…`); deliveries before it are refused
  GET  /received  every arrival so far, in order, as a JSON array of
                  {id, type, attempt, path, status, valid, error, arrived, finished, body}
                  (`arrived`/`finished`: seconds on one monotonic clock; `finished` is null while
                  the answer is being written; `attempt` counts arrivals of that id, from 1)

Usage: receiver.py [--port N] [--delay-ms N]
Prints `listening on 127.0.0.1:PORT` on its first line of output once it accepts connections.
`--delay-ms` holds each delivery's answer that long, so overlapping attempts would show.
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks

lock = threading.Lock()
secret = None
records = []
attempts = {}
delay = 0.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def answer(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path == "/received":
            with lock:
                body = json.dumps(records).encode()
            self.answer(200, body, "application/json")
        else:
            self.answer(404)

    def do_POST(self):
        global secret
        arrived = time.monotonic()
        body = self.read_body()
        if self.path == "/secret":
            with lock:
                secret = body.decode().strip()
            self.answer(204)
            return
        headers = {name: value for name, value in self.headers.items()}
        webhook_id = self.headers.get("webhook-id")
        with lock:
            current = secret
            attempt = attempts.get(webhook_id, 0) + 1
            attempts[webhook_id] = attempt
        error = None
        payload = None
        if current is None:
            error = "no secret yet (POST it to /secret)"
        else:
            try:
                payload = standardwebhooks.Webhook(current).verify(body, headers)
            except Exception as failure:
                error = f"{type(failure).__name__}: {failure}"
        valid = error is None
        if payload is None:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = body.decode(errors="replace")
        status = 401 if not valid else (500 if attempt == 1 else 200)
        record = {
            "id": webhook_id,
            "type": payload.get("type") if isinstance(payload, dict) else None,
            "attempt": attempt,
            "path": self.path,
            "status": status,
            "valid": valid,
            "error": error,
            "arrived": arrived,
            "finished": None,
            "body": payload,
        }
        with lock:
            records.append(record)
        if delay:
            time.sleep(delay)
        try:
            self.answer(status, b"ok" if status == 200 else b"try again")
        finally:
            with lock:
                record["finished"] = time.monotonic()


def main():
    global delay
    parser = argparse.ArgumentParser(description="A webhook receiver for the delivery tests")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    arguments = parser.parse_args()
    delay = arguments.delay_ms / 1000
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.daemon_threads = True
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
