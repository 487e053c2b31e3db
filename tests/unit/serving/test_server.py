"""The model server: lazy loading, caching, thread safety, errors, named dependencies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mmdemo.core.config import Settings, settings_from_env
from mmdemo.core.errors import BadInputError, ModelLoadError, UnknownNameError
from mmdemo.core.results import ModelInfo
from mmdemo.models.presets import PRESETS
from mmdemo.models.registry import BackendSpec, add_backend, remove_backend
from mmdemo.serving import ModelServer

LOADS: list[str] = []


class CountingBackend:
    """A real registered backend whose loader counts calls (a fake in the simonw/llm style)."""

    task = "embed"

    def __init__(self, spec, built_on=None):
        self.spec = spec
        self.built_on = built_on
        self.load_seconds = 0.01

    def info(self):
        return ModelInfo("embed", self.spec.name, "counting", "cpu", "float32", 0, 0, 0.01)


def slow_loader(spec, ctx):
    LOADS.append(spec.name)
    threading.Event().wait(0.2)  # widen the race window
    return CountingBackend(spec)


def failing_loader(spec, ctx):
    raise RuntimeError("boom")


def missing_package_loader(spec, ctx):
    import mmdemo_no_such_package  # noqa: F401 - an optional package that is not installed


def dependent_loader(spec, ctx):
    """Built on a named backend of the same task (as the routed VQA is on ``photo-vqa``)."""
    LOADS.append(spec.name)
    return CountingBackend(spec, built_on=ctx.get("embed", "counting-test"))


@pytest.fixture
def counting_preset():
    """Register backends + presets for one test, and remove them after."""
    specs = [
        BackendSpec(task="embed", name="counting-test", load=slow_loader, description="counts"),
        BackendSpec(task="embed", name="failing-test", load=failing_loader, description="fails"),
        BackendSpec(
            task="embed", name="missing-test", load=missing_package_loader, description="x"
        ),
        BackendSpec(task="embed", name="dependent-test", load=dependent_loader, description="x"),
    ]
    for spec in specs:
        add_backend(spec)
    PRESETS["counting"] = {"embed": ("counting-test",)}
    PRESETS["failing"] = {"embed": ("failing-test", "missing-test")}
    PRESETS["dependent"] = {"embed": ("dependent-test",)}  # counting-test is no choice here
    LOADS.clear()
    yield "counting"
    del PRESETS["counting"], PRESETS["failing"], PRESETS["dependent"]
    for spec in specs:
        remove_backend(spec.task, spec.name)


def test_lazy_load_and_cache(counting_preset):
    server = ModelServer(Settings(preset=counting_preset))
    assert LOADS == [] and not server.is_loaded("embed")  # nothing loads at construction
    first = server.get("embed")
    assert server.get("embed") is first
    assert LOADS == ["counting-test"]
    assert [m.backend for m in server.loaded()] == ["counting-test"]


def test_concurrent_first_use_loads_once(counting_preset):
    server = ModelServer(Settings(preset=counting_preset))
    with ThreadPoolExecutor(8) as pool:
        backends = list(pool.map(lambda _: server.get("embed"), range(8)))
    assert len(LOADS) == 1
    assert all(b is backends[0] for b in backends)


def test_loader_crash_becomes_model_load_error(counting_preset):
    server = ModelServer(Settings(preset="failing"))
    with pytest.raises(ModelLoadError, match=r"failing-test.*RuntimeError: boom"):
        server.get("embed")


def test_a_missing_package_in_a_loader_says_what_to_install(counting_preset):
    server = ModelServer(Settings(preset="failing"))
    with pytest.raises(ModelLoadError) as caught:
        server.get("embed", "missing-test")
    message = str(caught.value)
    assert "missing-test" in message and "could not be imported" in message
    assert "pip install mmdemo_no_such_package" in message


def test_unknown_names_list_choices():
    with pytest.raises(UnknownNameError, match=r"full.*tiny"):
        ModelServer(Settings(preset="tiny"), preset="nope")
    with pytest.raises(UnknownNameError, match="Valid choices"):
        ModelServer(Settings(preset="tiny")).get("nonexistent-task")
    with pytest.raises(UnknownNameError, match=r"Unknown vqa model 'photo-vqa'.*blip-vqa-tiny"):
        ModelServer(Settings(preset="tiny")).get("vqa", "photo-vqa")  # not offered in tiny


def test_a_dependency_is_loaded_once_and_shared_with_get(counting_preset):
    """``dependency(task, name)`` is what a loader's ``ctx.get(task, name)`` returns: the
    named backend, loaded once through the server, even when no visitor may pick it."""
    server = ModelServer(Settings(preset="dependent"))
    dependent = server.get("embed")
    counting = server.dependency("embed", "counting-test")
    assert dependent.built_on is counting
    assert server.dependency("embed", "counting-test") is counting
    assert server.dependency("embed") is dependent is server.get("embed")
    assert sorted(LOADS) == ["counting-test", "dependent-test"]  # each loaded once
    assert sorted(m.backend for m in server.loaded()) == ["counting-test", "dependent-test"]
    with pytest.raises(UnknownNameError, match="embed model"):
        server.get("embed", "counting-test")  # a dependency is not a visitor's choice


def test_the_routed_vqa_shares_its_photo_vqa_with_the_server(tmp_path):
    server = ModelServer(Settings(preset="tiny", index_dir=tmp_path, cache_dir=tmp_path / "c"))
    routed = server.get("vqa", "routed-vqa")
    assert server.get("vqa", "routed-vqa") is routed is server.dependency("vqa", "routed-vqa")
    assert server.dependency("vqa", "photo-vqa") is routed.photo
    assert routed.photo.embedder is server.get("embed") is server.dependency("embed")
    assert [m.backend for m in server.loaded()].count("photo-vqa") == 1


def test_bad_settings_values_are_refused():
    with pytest.raises(BadInputError, match="MMDEMO_BATCH_SIZE"):
        settings_from_env({"MMDEMO_BATCH_SIZE": "many"})
    with pytest.raises(BadInputError, match="device"):
        settings_from_env({"MMDEMO_DEVICE": "tpu"})
    settings = settings_from_env({"MMDEMO_FAISS_GPU": "off", "MMDEMO_MATCH_THRESHOLD": "0.25"})
    assert settings.faiss_gpu is False and settings.match_threshold == 0.25


def test_nothing_in_lite_is_random(tmp_path):
    lite = ModelServer(Settings(preset="lite", index_dir=tmp_path, index_default_gallery=False))
    for task in ("embed", "classify", "caption", "vqa", "sentiment"):
        assert not lite.is_random(task)
    tiny = ModelServer(Settings(preset="tiny", index_dir=tmp_path))
    assert tiny.is_random("embed") and tiny.is_random("classify")  # built on a random embedder


def test_unload_drops_a_tasks_backends(counting_preset):
    server = ModelServer(Settings(preset=counting_preset))
    first = server.get("embed")
    server.unload("embed")
    assert not server.is_loaded("embed") and server.loaded() == []
    assert server.get("embed") is not first and LOADS == ["counting-test", "counting-test"]


def test_two_models_never_load_at_the_same_moment():
    """transformers' from_pretrained changes process-wide state while it loads, so two first
    requests for two models (a caption and a VQA visitor at once) must load one at a time."""
    running, overlaps = [], []

    def watched_loader(spec, ctx):
        running.append(spec.name)
        if len(running) > 1:
            overlaps.append(tuple(running))
        threading.Event().wait(0.2)
        running.remove(spec.name)
        return CountingBackend(spec)

    specs = [
        BackendSpec(task=task, name=f"watched-{task}", load=watched_loader, description="x")
        for task in ("caption", "vqa", "sentiment")
    ]
    for spec in specs:
        add_backend(spec)
    PRESETS["watched"] = {spec.task: (spec.name,) for spec in specs}
    try:
        server = ModelServer(Settings(preset="watched"))
        barrier = threading.Barrier(len(specs))
        with ThreadPoolExecutor(len(specs)) as pool:
            list(pool.map(lambda t: (barrier.wait(), server.get(t)), [s.task for s in specs]))
        assert overlaps == []
        assert all(server.is_loaded(s.task) for s in specs)
    finally:
        del PRESETS["watched"]
        for spec in specs:
            remove_backend(spec.task, spec.name)
