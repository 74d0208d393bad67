"""A tiny HTTP server that stands in for Label Studio in the one way the real one cannot be made
to fail on cue: it takes a request in, then hangs up before answering (a server killed mid-reply)."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler with a JSON reply, a hang-up and no log lines."""

    def body(self):
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def reply(self, value, status: int = 200) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def hang_up(self) -> None:
        self.close_connection = True
        self.connection.shutdown(2)  # the request arrived, its answer never does

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler: type[JsonHandler]) -> Iterator[str]:
    """``handler`` on a free loopback port for the block; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
