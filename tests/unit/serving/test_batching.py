"""Micro-batching: concurrent calls share model calls, keep their own results and errors."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, UnknownNameError
from mmdemo.serving import ModelServer
from mmdemo.serving.batching import MicroBatcher


class SlowDoubler:
    """run_many that takes a while per call, records its batches, and refuses negatives."""

    def __init__(self, delay: float = 0.2):
        self.delay = delay
        self.calls: list[tuple[list, object]] = []
        self.lock = threading.Lock()

    def __call__(self, items, key):
        with self.lock:
            self.calls.append((list(items), key))
        time.sleep(self.delay)
        if any(i < 0 for i in items):
            raise BadInputError(f"negative item among {list(items)}")
        return [i * 2 for i in items]


def submit_all(batcher, items, keys=None, stagger: float = 0.02):
    """Submit items from separate threads (staggered so the first one leads)."""
    keys = keys or [()] * len(items)
    with ThreadPoolExecutor(len(items)) as pool:
        futures = []
        for item, key in zip(items, keys, strict=True):
            futures.append(pool.submit(batcher.submit, item, key))
            time.sleep(stagger)
        return [f.exception() or f.result() for f in futures]


def test_calls_arriving_while_the_model_runs_share_the_next_batch():
    run = SlowDoubler()
    batcher = MicroBatcher(run, max_batch=8)
    assert submit_all(batcher, list(range(6))) == [0, 2, 4, 6, 8, 10]
    assert batcher.batch_sizes[0] == 1  # the first starts alone (no window)...
    assert batcher.batch_sizes[1:] == [5]  # ...the rest arrived meanwhile and ran together
    assert sorted(i for items, _ in run.calls for i in items) == list(range(6))


def test_max_batch_is_respected_and_one_call_runs_at_a_time():
    running = []
    peak = []

    def run_many(items, key):
        running.append(1)
        peak.append(len(running))
        time.sleep(0.1)
        running.pop()
        return list(items)

    batcher = MicroBatcher(run_many, max_batch=2)
    assert submit_all(batcher, list(range(7)), stagger=0.005) == list(range(7))
    assert max(batcher.batch_sizes) <= 2 and max(peak) == 1


def test_different_keys_never_share_a_batch():
    run = SlowDoubler()
    batcher = MicroBatcher(run, max_batch=8)
    keys = ["beam", "sample", "beam", "sample", "beam"]
    assert submit_all(batcher, [1, 2, 3, 4, 5], keys) == [2, 4, 6, 8, 10]
    for items, key in run.calls:
        assert {keys[i - 1] for i in items} == {key}


def test_a_bad_item_gets_its_own_error_and_the_others_their_answers():
    batcher = MicroBatcher(SlowDoubler(delay=0.1), max_batch=8)
    results = submit_all(batcher, [1, 2, -3, 4])
    assert results[0] == 2 and results[1] == 4 and results[3] == 8
    assert isinstance(results[2], BadInputError) and "-3" in str(results[2])


def test_a_window_lets_an_idle_start_wait_for_company():
    batcher = MicroBatcher(SlowDoubler(delay=0.01), max_batch=8, window_s=0.3)
    assert submit_all(batcher, [1, 2, 3], stagger=0.02) == [2, 4, 6]
    assert batcher.batch_sizes == [3]


# -- through the model server (tiny BLIP) ----------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cache = tmp_path_factory.mktemp("tiny_models")
    return ModelServer(Settings(preset="tiny", cache_dir=cache, device="cpu", max_batch=8))


def _pictures(n):
    return [Image.new("RGB", (40 + 8 * i, 30), (30 * i, 200 - 20 * i, 90)) for i in range(n)]


def test_server_offers_the_presets_model_first_and_refuses_others(server):
    assert server.choices("vqa") == ["blip-vqa-tiny", "vilt-vqa-tiny", "routed-vqa"]
    assert server.choices("caption")[0] == "blip-caption-tiny"
    assert server.get("vqa", "vilt-vqa-tiny") is server.get("vqa", "vilt-vqa-tiny")
    assert server.get("vqa") is not server.get("vqa", "vilt-vqa-tiny")
    with pytest.raises(UnknownNameError, match="vilt-vqa-tiny"):
        server.get("vqa", "vilt-vqa")  # the full-size one is not a choice in tiny


def test_concurrent_captions_are_batched_and_equal_one_by_one(server):
    pictures = _pictures(5)
    alone = [server.get("caption").caption(p, max_length=8).caption for p in pictures]
    with ThreadPoolExecutor(5) as pool:
        together = list(
            pool.map(lambda p: server.run("caption", "caption", p, max_length=8).caption, pictures)
        )
    assert together == alone
    sizes = server.batcher("caption", "caption").batch_sizes
    assert sum(sizes) == 5 and max(sizes) > 1


def test_vqa_run_takes_image_and_question_pairs(server):
    picture = _pictures(1)[0]
    direct = server.get("vqa", "vilt-vqa-tiny").answer(picture, "what is this?")
    served = server.run("vqa", "answer", picture, "what is this?", backend="vilt-vqa-tiny")
    assert served == direct


def test_batching_off_calls_the_backend_directly(tmp_path):
    off = ModelServer(Settings(preset="tiny", cache_dir=tmp_path, device="cpu", max_batch=1))
    picture = _pictures(1)[0]
    assert off.run("caption", "caption", picture, max_length=6).caption
    assert off.batcher("caption", "caption") is None


def test_batching_is_off_on_cpu_unless_asked_for(tmp_path):
    assert ModelServer(Settings(preset="tiny", device="cpu")).max_batch == 1
    assert ModelServer(Settings(preset="tiny", device="cpu", max_batch=4)).max_batch == 4


def test_max_batch_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        MicroBatcher(SlowDoubler(), max_batch=0)
