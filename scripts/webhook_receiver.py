#!/usr/bin/env python3
"""A one-file webhook receiver for carequeue: verifies each request's
Standard Webhooks signature and prints what arrives.

    WEBHOOK_SECRET=whsec_... python3 scripts/webhook_receiver.py --port 8099

Several secrets (a key rotation) go space-separated in WEBHOOK_SECRET. A
request whose signature does not verify with any of them, or whose
timestamp is more than five minutes away, is answered 401 and not printed;
a `webhook-id` seen before is answered 200 and not printed again.

For trying a deliverer's retries: `--fail-first N` answers 500 to the
first N requests that verify, `--status CODE` answers CODE to every one;
`--log FILE` appends one JSON line per verified request (`id`, `new`:
whether the id is seen for the first time, `body`); `--port 0` takes a
free port, and the first line printed is `listening on PORT`;
`--tolerance SECONDS` is the timestamp check's window (0: none, for a
carequeue run with a fixed `--now`).

`--check` verifies messages as `carequeue deliver --dry-run --json` prints
them (one JSON object a line on stdin) instead of serving, printing
`ok <webhook-id>` or `BAD <webhook-id>` for each; it exits 1 if any is bad.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE = 5 * 60


def keys(secrets):
    out = []
    for s in secrets.split():
        if not s.startswith("whsec_"):
            raise SystemExit("a secret starts with whsec_")
        out.append(base64.b64decode(s[len("whsec_"):]))
    return out


def verify(keys_, msg_id, timestamp, body, signature_header, now=None, tolerance=None):
    """Whether one of the header's v1 signatures is the HMAC-SHA256 of
    id.timestamp.body under one of the keys (and the time is fresh)."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if tolerance is not None:
        now = time.time() if now is None else now
        if abs(now - stamp) > tolerance:
            return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    given = [s.split(",", 1)[1] for s in signature_header.split() if s.startswith("v1,")]
    for key in keys_:
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(expected, g) for g in given):
            return True
    return False


def check(keys_):
    bad = 0
    for line in sys.stdin:
        try:
            m = json.loads(line)
            h = m["headers"]
            msg_id = h["webhook-id"]
            good = verify(keys_, msg_id, h["webhook-timestamp"],
                          m["body"].encode(), h["webhook-signature"])
        except (ValueError, KeyError, TypeError, AttributeError):
            msg_id, good = "(unreadable line)", False
        print(("ok " if good else "BAD ") + msg_id)
        bad += not good
    sys.exit(1 if bad else 0)


def serve(keys_, a):
    seen = set()
    failures = [a.fail_first]
    tolerance = a.tolerance if a.tolerance > 0 else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, code):
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            msg_id = self.headers.get("webhook-id", "")
            good = verify(keys_, msg_id, self.headers.get("webhook-timestamp", "0"), body,
                          self.headers.get("webhook-signature", ""), tolerance=tolerance)
            if not good:
                self.answer(401)
                return
            if failures[0] > 0 or a.status:
                failures[0] -= 1
                self.answer(a.status or 500)
                return
            new = msg_id not in seen
            if a.log:
                fd = os.open(a.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"id": msg_id, "new": new, "body": body.decode()}) + "\n")
            if new:
                seen.add(msg_id)
                print(msg_id, body.decode(), flush=True)
            self.answer(200)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", a.port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8099)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--fail-first", type=int, default=0, metavar="N")
    ap.add_argument("--status", type=int, default=0, metavar="CODE")
    ap.add_argument("--log", metavar="FILE")
    ap.add_argument("--tolerance", type=int, default=TOLERANCE, metavar="SECONDS")
    a = ap.parse_args()
    keys_ = keys(os.environ.get("WEBHOOK_SECRET", ""))
    if not keys_:
        raise SystemExit("WEBHOOK_SECRET: one whsec_ secret or more")
    if a.check:
        check(keys_)
    else:
        serve(keys_, a)


if __name__ == "__main__":
    main()
