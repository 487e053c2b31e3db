"""The Chat tab's wiring: the question is shown by a step of its own with no slot limit, the answer
by a queued one after it, and Stop cancels only the answers (a question stopped before its
first token stays in the conversation; the browser test sends and stops at once)."""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer
from mmdemo.ui.common import MODEL_QUEUE
from mmdemo.ui.page import build_ui


@pytest.fixture(scope="module")
def fns(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("chat") / "index"
    settings = Settings(preset="tiny", index_dir=index_dir, index_default_gallery=False)
    server = ModelServer(settings)
    page = build_ui(server, Gallery(server, settings))
    return page.fns


def by_name(fns, name: str):
    found = [(i, fn) for i, fn in fns.items() if fn.name == name]
    assert len(found) == 1, [fn.name for fn in fns.values()]
    return found[0]


def test_the_question_is_shown_unqueued_then_answered_in_the_chat_queue(fns):
    shown_at, show = by_name(fns, "show_question")
    answer_at, answer = by_name(fns, "respond")
    # no slot to wait for: the question appears at once (queued, so a refusal is a toast)
    assert show.concurrency_limit is None and show.concurrency_id != MODEL_QUEUE["chat"]
    assert show.preprocess is False and answer.preprocess is False  # our safe loader decodes
    assert answer.trigger_after == shown_at and answer.trigger_only_on_success
    assert answer.queue and answer.concurrency_id == MODEL_QUEUE["chat"]
    assert show.show_progress == "hidden"  # a refusal is the toast, not "Error" over the box
    failures = [fn for fn in fns.values() if fn.trigger_only_on_failure]
    assert {fn.trigger_after for fn in failures} >= {shown_at, answer_at}  # "No answer" shown
    stops = [fn for fn in fns.values() if fn.cancels and answer_at in fn.cancels]
    assert len(stops) == 1
    assert shown_at not in stops[0].cancels
    regenerate_at, _ = by_name(fns, "regenerate")
    api_at, _ = by_name(fns, "api_chat")
    assert set(stops[0].cancels) == {answer_at, regenerate_at, api_at}
