"""One retry policy: a batch whose answer is lost is never re-sent blindly, by the SDK or by push.

A small HTTP server stands in for Label Studio's import endpoint in the one way the real one
cannot be made to fail on cue: it stores the batch, then drops the connection before
answering (a server killed mid-reply). The end-to-end kill is in tests/e2e/test_faults_e2e.py."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from importer.push import _import_batch
from studio.client import Studio


class LossyStudio(BaseHTTPRequestHandler):
    """Stores each import, then hangs up without a reply; lists what it stored."""

    imports: list[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.imports.append(body)
        self.close_connection = True
        self.connection.shutdown(2)  # the batch arrived, its answer never does

    def do_GET(self):
        stored = [{"id": i, "data": t} for i, t in enumerate(t for batch in self.imports for t in batch)]
        data = json.dumps({"tasks": stored}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def lossy():
    LossyStudio.imports = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), LossyStudio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_batch_whose_answer_was_lost_is_sent_once(lossy):
    tasks = [{"image": f"/data/local-files/?d=c/{i}.png", "sha256": f"{i:064x}"} for i in range(3)]
    _import_batch(Studio(lossy, "token", timeout=5), 1, tasks)
    assert len(LossyStudio.imports) == 1, "neither the SDK nor push re-sent the batch that had arrived"
    assert LossyStudio.imports[0] == tasks


def test_the_sdk_client_does_not_retry_on_its_own():
    assert Studio("http://127.0.0.1:9", "token").sdk._client_wrapper.httpx_client.base_max_retries == 0
