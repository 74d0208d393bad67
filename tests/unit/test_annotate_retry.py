"""A label whose answer is lost is given once: ``LabelStudioProject.annotate`` re-sends only
while the task holds no annotation.

A small HTTP server stands in for Label Studio's annotation endpoint in the one way the real
one cannot be made to fail on cue: it saves the annotation, then drops the connection before
answering (SQLite's lock or a slow webhook after the save looks the same to the client)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from studio.project import LabelStudioProject
from studio.tasks import choice


class LossyAnnotations(BaseHTTPRequestHandler):
    """Saves each annotation; hangs up on the first ``lose`` of them; lists what it saved."""

    saved: list[dict] = []
    lose = 1

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        LossyAnnotations.saved.append({"id": len(self.saved) + 1, "result": body["result"]})
        if len(self.saved) <= self.lose:
            self.close_connection = True
            self.connection.shutdown(2)  # saved, but its answer never arrives
            return
        self._reply(self.saved[-1])

    def do_GET(self):
        self._reply(self.saved)

    def _reply(self, value):
        data = json.dumps(value).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def lossy():
    LossyAnnotations.saved = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), LossyAnnotations)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_label_whose_answer_was_lost_is_given_once(lossy):
    LossyAnnotations.lose = 1
    LabelStudioProject(lossy, "token", 1, timeout=5).annotate(7, choice("symbol"))
    assert len(LossyAnnotations.saved) == 1, "the saved annotation was not sent again"


def test_a_label_answered_at_once_is_sent_once_and_returned(lossy):
    LossyAnnotations.lose = 0
    annotation = LabelStudioProject(lossy, "token", 1, timeout=5).annotate(7, choice("garbage"))
    assert len(LossyAnnotations.saved) == 1 and annotation.result == choice("garbage")
