#!/usr/bin/env python3
"""A stand-in for the Buildkite cache registry (the agent's v2 cache API), written from
/work/shared/agent-cache-protocol.md section 1.3, for the registry store's tests.

    fake_registry.py --token T [--store local_file|agent_managed] [--registry NAME ...]
                     [--port-file FILE]

Binds 127.0.0.1 on a free port. With --port-file it writes the port there and serves until it is
killed (bats); without, it prints "ready PORT" and serves until its stdin closes (Swift tests).

The API, under /v3/cache_registries/{registry}:
  GET    ""          -> {uuid, name, store}; 404 "Cache registry not found" for an unknown name
  POST   /peek       {target_paths, cache_key[, scopes]} -> the exact entry, or 404 "Cache entry not found"
  POST   /retrieve   {target_paths, cache_key} -> the exact entry, else the newest entry with the same
                     target path set whose parts match every part the request marks mandatory
                     (fallback: true), else 404 "Cache entry not found"
  PUT    /store      {target_paths, cache_key, blobs:[{digest, file_size, compression}], platform,
                     scopes} -> {upload_id, multipart: false}
  PUT    /commit     {upload_id} -> the entry becomes visible (an existing one is kept)
  POST   /expire     {target_paths, cache_key} -> the entry is removed
Entries live in memory; blobs are the client's business (the store the registry names).
Every call needs `Authorization: Token T` (else 401) and, with a body, a JSON Content-Type (else 400).

Control, for the tests (no token needed):
  POST /_control/faults  {"retrieve": ["503", "reset"], ...}  queues faults per endpoint, one per
        call: 503, 429, 400, 401, 409 (an error status with a JSON message), reset (the connection is
        closed without an answer), cut (a 200 whose body stops half-way), html (a 200 text/html page),
        garbage (a 200 application/json that is not JSON)
  GET  /_control/requests  every call so far: method, endpoint, status, fault, authorized, user_agent,
        timeout header, body
  GET  /_control/entries   the visible entries
  POST /_control/entries   adds an entry as is (for entries "saved by someone else")
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/v3/cache_registries/"
ERROR_MESSAGES = {
    "400": (400, "Bad Request: invalid cache_key"),
    "401": (401, "Unauthorized"),
    "409": (409, "Cache entry already exists"),
    "429": (429, "Too Many Requests"),
    "503": (503, "Service Unavailable"),
}


class Registry:
    def __init__(self, store, names):
        self.store = store
        self.names = set(names)
        self.lock = threading.Lock()
        self.entries = []  # visible entries, oldest first
        self.pending = {}  # upload_id -> entry
        self.faults = {}  # endpoint -> [fault, ...]
        self.requests = []
        self.clock = 0  # a counter, so "newest" never depends on the wall clock

    def next_fault(self, endpoint):
        with self.lock:
            queue = self.faults.get(endpoint, [])
            return queue.pop(0) if queue else None


def same_paths(a, b):
    return sorted(a) == sorted(b)


def same_key(a, b):
    return [p["value"] for p in a] == [p["value"] for p in b]


def public(entry, fallback=None):
    answer = {
        "target_paths": entry["target_paths"],
        "cache_key": entry["cache_key"],
        "blobs": entry["blobs"],
        "store": entry["store"],
        "expires_at": "2099-01-01T00:00:00Z",
        "message": "ok",
    }
    if fallback is not None:
        answer.update({"fallback": fallback, "multipart": False, "download_instructions": None})
    return answer


def make_handler(registry, token):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        # -- plumbing --------------------------------------------------------------------------
        def send_json(self, status, body, content_type="application/json"):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def read_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def record(self, endpoint, status, fault, body):
            auth = self.headers.get("Authorization")
            with registry.lock:
                registry.requests.append({
                    "method": self.command,
                    "endpoint": endpoint,
                    "status": status,
                    "fault": fault,
                    "authorized": auth == f"Token {token}",
                    "user_agent": self.headers.get("User-Agent"),
                    "timeout": self.headers.get("Buildkite-Timeout-Milliseconds"),
                    "content_type": self.headers.get("Content-Type"),
                    "body": body.decode(errors="replace"),
                })

        def apply_fault(self, fault):
            """Answers (or refuses to answer) as the fault says; True when it did."""
            if fault is None:
                return False
            if fault in ERROR_MESSAGES:
                status, message = ERROR_MESSAGES[fault]
                self.send_json(status, {"message": message})
            elif fault == "reset":
                # SO_LINGER 0: close sends a RST, the client sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
            elif fault == "cut":
                data = json.dumps({"message": "ok", "target_paths": ["x"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) * 2))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif fault == "html":
                data = b"<html><body>Gateway maintenance</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif fault == "garbage":
                data = b"{\"message\": "
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self.send_json(500, {"message": f"unknown fault {fault}"})
            return True

        # -- routing ---------------------------------------------------------------------------
        def do_GET(self):
            self.route()

        def do_POST(self):
            self.route()

        def do_PUT(self):
            self.route()

        def route(self):
            body = self.read_body()
            path = self.path.split("?", 1)[0]
            if path.startswith("/_control/"):
                return self.control(path[len("/_control/"):], body)
            if not path.startswith(PREFIX):
                self.record(path, 404, None, body)
                return self.send_json(404, {"message": "Not Found"})
            rest = path[len(PREFIX):]
            name, _, action = rest.partition("/")
            name = name.replace("%7E", "~").replace("%7e", "~")
            endpoint = action or "registry"
            fault = registry.next_fault(endpoint)
            if self.apply_fault(fault):
                self.record(endpoint, int(fault) if fault.isdigit() else 0, fault, body)
                return
            status, answer = self.api(name, endpoint, body)
            self.record(endpoint, status, None, body)
            self.send_json(status, answer)

        def api(self, name, endpoint, body):
            if self.headers.get("Authorization") != f"Token {token}":
                return 401, {"message": "Unauthorized"}
            if name not in registry.names:
                return 404, {"message": "Cache registry not found"}
            expected = {"registry": "GET", "peek": "POST", "retrieve": "POST", "store": "PUT", "commit": "PUT", "expire": "POST"}
            if expected.get(endpoint) != self.command:
                return 404, {"message": "Not Found"}
            if endpoint == "registry":
                return 200, {"uuid": "00000000-0000-4000-8000-000000000001", "name": name, "store": registry.store}
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return 400, {"message": "Bad Request: expected application/json"}
            try:
                request = json.loads(body)
            except ValueError:
                return 400, {"message": "Bad Request: malformed JSON"}
            return getattr(self, "api_" + endpoint)(request)

        @staticmethod
        def address_problem(request):
            paths, key = request.get("target_paths"), request.get("cache_key")
            if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
                return "target_paths must be a non-empty list of strings"
            if not isinstance(key, list) or not key:
                return "cache_key must be a non-empty list"
            for part in key:
                if not isinstance(part, dict) or not isinstance(part.get("value"), str) or not isinstance(part.get("mandatory"), bool):
                    return "each cache_key part needs a string value and a boolean mandatory"
            if "scopes" in request and not isinstance(request["scopes"], dict):
                return "scopes must be an object"
            return None

        def find_exact(self, request):
            for entry in reversed(registry.entries):
                if same_paths(entry["target_paths"], request["target_paths"]) and same_key(entry["cache_key"], request["cache_key"]):
                    return entry
            return None

        def api_peek(self, request):
            problem = self.address_problem(request)
            if problem:
                return 400, {"message": f"Bad Request: {problem}"}
            with registry.lock:
                entry = self.find_exact(request)
            return (200, public(entry)) if entry else (404, {"message": "Cache entry not found"})

        def api_retrieve(self, request):
            problem = self.address_problem(request)
            if problem:
                return 400, {"message": f"Bad Request: {problem}"}
            wanted = request["cache_key"]
            with registry.lock:
                entry = self.find_exact(request)
                if entry:
                    return 200, public(entry, fallback=False)
                for candidate in sorted(registry.entries, key=lambda e: e["created"], reverse=True):
                    if not same_paths(candidate["target_paths"], request["target_paths"]):
                        continue
                    have = candidate["cache_key"]
                    if all(i < len(have) and have[i]["value"] == part["value"]
                           for i, part in enumerate(wanted) if part["mandatory"]):
                        return 200, public(candidate, fallback=True)
            return 404, {"message": "Cache entry not found"}

        def api_store(self, request):
            problem = self.address_problem(request)
            blobs = request.get("blobs")
            if not problem and (not isinstance(blobs, list) or len(blobs) != 1):
                problem = "blobs must hold one blob"
            if not problem:
                blob = blobs[0]
                digest = blob.get("digest") or {}
                if digest.get("algorithm") != "sha256" or len(digest.get("value", "")) != 64:
                    problem = "blob digest must be sha256"
                elif not isinstance(blob.get("file_size"), int) or blob.get("compression") != "zip":
                    problem = "blob needs file_size and compression zip"
            if not problem and not isinstance(request.get("platform"), str):
                problem = "platform is required"
            if not problem and not isinstance(request.get("scopes"), dict):
                problem = "scopes must be an object"
            if problem:
                return 400, {"message": f"Bad Request: {problem}"}
            upload_id = str(uuid.uuid4())
            with registry.lock:
                registry.pending[upload_id] = {
                    "target_paths": request["target_paths"], "cache_key": request["cache_key"], "blobs": blobs,
                    "store": registry.store, "platform": request["platform"], "scopes": request["scopes"],
                }
            return 200, {"upload_id": upload_id, "multipart": False, "upload_instructions": None, "message": "created"}

        def api_commit(self, request):
            upload_id = request.get("upload_id")
            with registry.lock:
                entry = registry.pending.pop(upload_id, None)
                if entry is None:
                    return 404, {"message": "Upload not found"}
                if not self.find_exact(entry):
                    registry.clock += 1
                    entry["created"] = registry.clock
                    registry.entries.append(entry)
            return 200, {"message": "committed"}

        def api_expire(self, request):
            problem = self.address_problem(request)
            if problem:
                return 400, {"message": f"Bad Request: {problem}"}
            with registry.lock:
                registry.entries = [e for e in registry.entries
                                    if not (same_paths(e["target_paths"], request["target_paths"])
                                            and same_key(e["cache_key"], request["cache_key"]))]
            return 200, {"message": "expired"}

        # -- control ---------------------------------------------------------------------------
        def control(self, what, body):
            with registry.lock:
                if what == "faults" and self.command == "POST":
                    for endpoint, faults in json.loads(body).items():
                        registry.faults.setdefault(endpoint, []).extend(faults)
                    return self.send_json(200, registry.faults)
                if what == "requests":
                    return self.send_json(200, registry.requests)
                if what == "entries" and self.command == "GET":
                    return self.send_json(200, registry.entries)
                if what == "entries" and self.command == "POST":
                    entry = json.loads(body)
                    registry.clock += 1
                    entry.setdefault("store", registry.store)
                    entry["created"] = registry.clock
                    registry.entries.append(entry)
                    return self.send_json(200, entry)
            self.send_json(404, {"message": "unknown control"})

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--store", default="local_file", choices=["local_file", "agent_managed", "nsc"])
    parser.add_argument("--registry", action="append", default=None, help="known registry names (default: ~)")
    parser.add_argument("--port-file")
    args = parser.parse_args()
    registry = Registry(args.store, args.registry or ["~"])
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(registry, args.token))
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
        while True:
            time.sleep(3600)
    print(f"ready {port}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
