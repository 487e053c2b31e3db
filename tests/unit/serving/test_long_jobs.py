"""Long jobs: a concurrency limit that refuses at once, a deadline, a cancel that frees the
slot however the job ends; the Settings that configure them; the server's per-task limits
and its last measured load time."""

from __future__ import annotations

import threading
import time

import pytest

from mmdemo.core.config import Settings, settings_from_env
from mmdemo.core.errors import BadInputError, BusyError
from mmdemo.core.i18n import translate
from mmdemo.core.results import ModelInfo
from mmdemo.models.presets import PRESETS
from mmdemo.models.registry import BackendSpec, add_backend, remove_backend
from mmdemo.serving import ModelServer
from mmdemo.serving.long_jobs import Job, LongJobs


def test_the_limit_refuses_at_once_and_says_to_try_again():
    jobs = LongJobs(limit=2, max_s=60, what="writing chat replies")
    with jobs.slot(), jobs.slot():
        assert jobs.running == 2
        started = time.monotonic()
        busy = r"busy writing chat replies \(limit: 2 at once\)"
        with pytest.raises(BusyError, match=busy) as err, jobs.slot():
            pass
        assert time.monotonic() - started < 1  # refused, not queued
        assert err.value.limit == 2
    assert jobs.running == 0
    with jobs.slot() as job:  # the slots freed
        assert isinstance(job, Job) and not job.stopped


def test_busy_message_has_a_whole_chinese_translation():
    for what in ("writing chat replies", "drawing images"):
        chinese = translate(str(BusyError(what, 1)), "zh")
        assert "服务器正忙于" in chinese and "1" in chinese
        assert not any(word in chinese for word in ("busy", "chat", "images", "moment"))


def test_a_slot_frees_and_cancels_on_an_exception():
    jobs = LongJobs(limit=1, max_s=60, what="drawing images")
    with pytest.raises(ZeroDivisionError), jobs.slot() as job:
        raise ZeroDivisionError
    assert job.cancel.is_set() and jobs.running == 0


def test_a_closed_generator_frees_its_slot_and_stops_its_worker():
    """What Gradio's Stop button does: close the service's generator (GeneratorExit)."""
    jobs = LongJobs(limit=1, max_s=60, what="writing chat replies")
    worker_stopped = threading.Event()

    def worker(job: Job):
        job.cancel.wait(30)  # a backend thread that stops at its next token once cancelled
        worker_stopped.set()

    def service():
        with jobs.slot() as job:
            threading.Thread(target=worker, args=(job,), daemon=True).start()
            while True:
                yield "token"

    stream = service()
    assert next(stream) == "token" and jobs.running == 1
    stream.close()
    assert worker_stopped.wait(5), "the worker was not told to stop"
    assert jobs.running == 0


def test_deadline_and_expired():
    jobs = LongJobs(limit=1, max_s=0.05, what="drawing images")
    with jobs.slot() as job:
        assert not job.expired() and 0 < job.remaining() <= 0.05
        job.deadline = time.monotonic() - 1  # as if its time had run out
        assert job.expired() and job.stopped and job.remaining() == 0
    assert not Job("x").expired()  # no deadline given: never expires


def test_concurrent_slots_never_pass_the_limit():
    jobs = LongJobs(limit=3, max_s=60, what="drawing images")
    peak, admitted, refused = [0], [0], [0]
    guard, go = threading.Lock(), threading.Event()

    def visitor():
        go.wait()
        try:
            with jobs.slot():
                with guard:
                    admitted[0] += 1
                    peak[0] = max(peak[0], jobs.running)
                time.sleep(0.01)
        except BusyError:
            with guard:
                refused[0] += 1

    threads = [threading.Thread(target=visitor) for _ in range(24)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(10)
    assert peak[0] <= 3 and admitted[0] + refused[0] == 24 and admitted[0] >= 3
    assert jobs.running == 0


def test_cancel_all_sets_every_running_job():
    jobs = LongJobs(limit=2, max_s=60, what="writing chat replies")
    with jobs.slot() as one, jobs.slot() as two:
        assert jobs.cancel_all() == 2 and one.cancel.is_set() and two.cancel.is_set()


@pytest.mark.parametrize("limit, max_s", [(0, 10), (1, 0), (1, -5)])
def test_bad_limits_are_refused(limit, max_s):
    with pytest.raises(ValueError):
        LongJobs(limit, max_s, "drawing images")


def test_long_job_and_memory_settings_read_from_the_environment():
    defaults = Settings()
    assert (defaults.chat_concurrency, defaults.chat_max_s) == (2, 120.0)
    assert (defaults.generate_concurrency, defaults.generate_image_max_s) == (1, 300.0)
    assert defaults.memory_budget_gb is None and defaults.model_ttl_s is None
    settings = settings_from_env(
        {
            "MMDEMO_CHAT_CONCURRENCY": "3",
            "MMDEMO_CHAT_MAX_S": "45",
            "MMDEMO_GENERATE_CONCURRENCY": "2",
            "MMDEMO_GENERATE_IMAGE_MAX_S": "90.5",
            "MMDEMO_MEMORY_BUDGET_GB": "8",
            "MMDEMO_MODEL_TTL_S": "600",
        }
    )
    assert settings.chat_concurrency == 3 and settings.chat_max_s == 45
    assert settings.generate_concurrency == 2 and settings.generate_image_max_s == 90.5
    assert settings.memory_budget_gb == 8 and settings.model_ttl_s == 600
    assert settings_from_env({"MMDEMO_MEMORY_BUDGET_GB": ""}).memory_budget_gb is None


@pytest.mark.parametrize(
    "name, value",
    [
        ("CHAT_CONCURRENCY", "0"),
        ("GENERATE_CONCURRENCY", "-1"),
        ("CHAT_MAX_S", "0"),
        ("GENERATE_IMAGE_MAX_S", "inf"),
        ("MEMORY_BUDGET_GB", "0"),
        ("MEMORY_BUDGET_GB", "nan"),
        ("MODEL_TTL_S", "-3"),
        ("MODEL_TTL_S", "soon"),
    ],
)
def test_bad_long_job_and_memory_settings_name_the_variable(name, value):
    with pytest.raises(BadInputError, match=f"MMDEMO_{name}"):
        settings_from_env({f"MMDEMO_{name}": value})


class TimedBackend:
    task = "embed"

    def __init__(self, spec):
        self.spec = spec

    def info(self):
        return ModelInfo("embed", self.spec.name, "timed", "cpu", "float32", 0, 0, 0.0)


@pytest.fixture
def timed_preset():
    spec = BackendSpec(
        task="embed", name="timed-test", load=lambda s, c: TimedBackend(s), description="x"
    )
    add_backend(spec)
    PRESETS["timed"] = {"embed": ("timed-test",)}
    yield "timed"
    del PRESETS["timed"]
    remove_backend("embed", "timed-test")


def test_server_long_jobs_follow_the_settings(timed_preset):
    server = ModelServer(Settings(preset=timed_preset, chat_concurrency=3, generate_image_max_s=9))
    chat, generate = server.long_jobs("chat"), server.long_jobs("generate")
    assert server.long_jobs("chat") is chat  # one limit per task, shared by every request
    assert (chat.limit, chat.max_s, generate.limit, generate.max_s) == (3, 120.0, 1, 9.0)
    with pytest.raises(ValueError, match="only"):
        server.long_jobs("embed")


def test_last_load_seconds_is_measured_and_kept_after_an_unload(timed_preset):
    server = ModelServer(Settings(preset=timed_preset))
    assert server.last_load_seconds("embed") is None  # never loaded
    server.get("embed")
    seconds = server.last_load_seconds("embed")
    assert seconds is not None and seconds >= 0
    server.unload("embed")
    assert not server.is_loaded("embed") and server.last_load_seconds("embed") == seconds
