"""A stub upstream that is slow or stalls at given moments (tests only, standard library).

`python stall_app.py PORT FROM TO MODE`: between the Unix times FROM and TO every request
either takes 1 s more (MODE `slow`) or waits until TO (MODE `stall`: the system stops, then
answers everything at once); otherwise it answers at once. Every answer is 200 `ok`.
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, FROM, TO, MODE = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        now = time.time()
        if FROM <= now < TO:
            time.sleep(1.0 if MODE == "slow" else TO - now)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


Server(("127.0.0.1", PORT), Handler).serve_forever()
