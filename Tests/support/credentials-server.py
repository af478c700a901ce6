#!/usr/bin/env python3
"""A stand-in for the EC2 instance metadata service (IMDSv2) and the container credentials
endpoint, for the credential chain tests: `credentials-server.py [--token T] [--expires-in S]`.

Binds 127.0.0.1 on a free port, prints "ready PORT", and serves until its stdin closes (the tests
hold it open; a crashed test run closes it all the same). Every answer hands out new, numbered
credentials that expire --expires-in seconds from now; GET /stats says how many of each it gave.
"""
import argparse
import datetime
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "swift-cache-role"
SESSION_TOKEN = "imds-session-token-swiftcache"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", default=None, help="the Authorization the container endpoint requires")
    parser.add_argument("--expires-in", type=int, default=3600)
    args = parser.parse_args()
    counts = {"token": 0, "imds": 0, "container": 0}
    lock = threading.Lock()

    def credentials(kind):
        with lock:
            counts[kind] += 1
            number = counts[kind]
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=args.expires_in)
        return {
            "Code": "Success",
            "AccessKeyId": f"ASIA{kind.upper()}{number:04d}",
            "SecretAccessKey": f"{kind}-secret-{number:04d}-swiftcache",
            "Token": f"{kind}-session-{number:04d}-swiftcache",
            "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def answer(self, status, body, content_type="application/json"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.answer(400, "bad token request", "text/plain")
            with lock:
                counts["token"] += 1
            self.answer(200, SESSION_TOKEN, "text/plain")

        def do_GET(self):
            prefix = "/latest/meta-data/iam/security-credentials/"
            if self.path == "/stats":
                with lock:
                    return self.answer(200, json.dumps(counts))
            if self.path.startswith(prefix):
                if self.headers.get("X-aws-ec2-metadata-token") != SESSION_TOKEN:
                    return self.answer(401, "IMDSv2 token required", "text/plain")
                if self.path == prefix:
                    return self.answer(200, ROLE + "\n", "text/plain")
                if self.path == prefix + ROLE:
                    return self.answer(200, json.dumps(credentials("imds")))
                return self.answer(404, "no such role", "text/plain")
            if self.path.startswith("/container/"):
                if args.token is not None and self.headers.get("Authorization") != args.token:
                    return self.answer(401, json.dumps({"message": "bad authorization"}))
                return self.answer(200, json.dumps(credentials("container")))
            self.answer(404, "not found", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready {server.server_address[1]}", flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
