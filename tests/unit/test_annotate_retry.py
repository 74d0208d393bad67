"""A label whose answer is lost is given once: ``LabelStudioProject.annotate`` re-sends only
while the task holds no annotation.

A small HTTP server stands in for Label Studio's annotation endpoint in the one way the real
one cannot be made to fail on cue: it saves the annotation, then drops the connection before
answering (SQLite's lock or a slow webhook after the save looks the same to the client)."""
from __future__ import annotations

import pytest

from fake_http import JsonHandler, serving
from studio.project import LabelStudioProject
from studio.tasks import choice


class LossyAnnotations(JsonHandler):
    """Saves each annotation; hangs up on the first ``lose`` of them; lists what it saved."""

    saved: list[dict] = []
    lose = 1

    def do_POST(self):
        LossyAnnotations.saved.append({"id": len(self.saved) + 1, "result": self.body()["result"]})
        if len(self.saved) <= self.lose:
            self.hang_up()  # saved, but its answer never arrives
        else:
            self.reply(self.saved[-1], 201)

    def do_GET(self):
        self.reply(self.saved)


@pytest.fixture
def lossy():
    LossyAnnotations.saved = []
    with serving(LossyAnnotations) as url:
        yield url


def test_a_label_whose_answer_was_lost_is_given_once(lossy):
    LossyAnnotations.lose = 1
    LabelStudioProject(lossy, "token", 1, timeout=5).annotate(7, choice("symbol"))
    assert len(LossyAnnotations.saved) == 1, "the saved annotation was not sent again"


def test_a_label_answered_at_once_is_sent_once_and_returned(lossy):
    LossyAnnotations.lose = 0
    annotation = LabelStudioProject(lossy, "token", 1, timeout=5).annotate(7, choice("garbage"))
    assert len(LossyAnnotations.saved) == 1 and annotation.result == choice("garbage")
