#!/usr/bin/env python3
"""A release-download server for hook tests: serves the files of one directory
on 127.0.0.1 and logs every request, so tests can count downloads.

Behaviour is steered by files in the control directory, so a test can change
it while the server runs:
  status       an HTTP status (e.g. 404 or 503) to answer instead of the file
  fail-first   a number N: the first N requests get 503, later ones the file
  hold         while it exists, a request for a file waits (up to 60 s) until
               the file `release` appears; `held` is created when one waits

Usage: dist_server.py ROOT CONTROL_DIR LOG_FILE PORT_FILE
The port (chosen by the system) is written to PORT_FILE once it listens.
"""

import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, CONTROL, LOG, PORT_FILE = sys.argv[1:5]
lock = threading.Lock()
served = 0


def control(name):
    path = os.path.join(CONTROL, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read().strip()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        global served
        with lock:
            served += 1
            number = served
            with open(LOG, "a") as log:
                log.write(f"GET {self.path}\n")
        status = control("status")
        fail_first = control("fail-first")
        if status is None and fail_first is not None and number <= int(fail_first):
            status = "503"
        if status is not None:
            self.answer(int(status), b"not serving this\n")
            return
        path = os.path.join(ROOT, os.path.basename(self.path))
        if not os.path.isfile(path):
            self.answer(404, b"no such file\n")
            return
        if control("hold") is not None:
            open(os.path.join(CONTROL, "held"), "w").close()
            deadline = time.monotonic() + 60
            while control("release") is None and time.monotonic() < deadline:
                time.sleep(0.02)
        with open(path, "rb") as f:
            self.answer(200, f.read(), "application/gzip")

    def answer(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(f"{server.server_address[1]}\n")
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
