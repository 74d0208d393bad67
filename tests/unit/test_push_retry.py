"""One retry policy: a batch whose answer is lost is never re-sent blindly, by the SDK or by push.

A small HTTP server stands in for Label Studio's import endpoint in the one way the real one
cannot be made to fail on cue: it stores the batch, then drops the connection before
answering (a server killed mid-reply). The end-to-end kill is in tests/e2e/test_faults_e2e.py."""
from __future__ import annotations

import pytest

from fake_http import JsonHandler, serving
from importer.push import _import_batch
from studio.client import Studio


class LossyStudio(JsonHandler):
    """Stores each import, then hangs up without a reply; lists what it stored."""

    imports: list[list[dict]] = []

    def do_POST(self):
        self.imports.append(self.body())
        self.hang_up()

    def do_GET(self):
        self.reply({"tasks": [{"id": i, "data": t} for i, t in enumerate(t for batch in self.imports for t in batch)]})


@pytest.fixture
def lossy():
    LossyStudio.imports = []
    with serving(LossyStudio) as url:
        yield url


def test_a_batch_whose_answer_was_lost_is_sent_once(lossy):
    tasks = [{"image": f"/data/local-files/?d=c/{i}.png", "sha256": f"{i:064x}"} for i in range(3)]
    _import_batch(Studio(lossy, "token", timeout=5), 1, tasks)
    assert len(LossyStudio.imports) == 1, "neither the SDK nor push re-sent the batch that had arrived"
    assert LossyStudio.imports[0] == tasks


def test_the_sdk_client_does_not_retry_on_its_own():
    assert Studio("http://127.0.0.1:9", "token").sdk._client_wrapper.httpx_client.base_max_retries == 0
