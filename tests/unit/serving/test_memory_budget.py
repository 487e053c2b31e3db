"""The memory budget and the model TTL: least recently used models go first, what others
are built on goes only with them, busy models and the incoming model's dependencies stay,
idle models go after the TTL (the embedder stays), a reload after an unload works, and
concurrent gets and unloads do not break the server."""

from __future__ import annotations

import logging
import random
import threading
from pathlib import Path

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.results import ModelInfo
from mmdemo.models.presets import PRESETS
from mmdemo.models.registry import BackendSpec, add_backend, remove_backend
from mmdemo.serving import ModelServer
from mmdemo.serving.memory_budget import GB, estimate, plan_unloads

LOADS: list[str] = []


class SizedBackend:
    """A real registered backend whose tensors weigh what its spec says (``size_gb``)."""

    def __init__(self, spec):
        self.spec = spec
        self.task = spec.task
        self.size = int(spec.option("size_gb") * GB)
        self.load_seconds = 0.0

    def info(self):
        return ModelInfo(self.task, self.spec.name, "sized", "cpu", "float32", 0, self.size, 0.0)


def sized_loader(spec, ctx):
    LOADS.append(spec.task)
    for task in spec.needs:  # built on them, as classify is on embed
        ctx.get(task)
    return SizedBackend(spec)


SIZES = {"embed": 1.0, "classify": 1.0, "caption": 2.5, "vqa": 2.0, "chat": 3.0}


@pytest.fixture
def preset():
    specs = [
        BackendSpec(
            task=task,
            name=f"sized-{task}",
            load=sized_loader,
            description="a model of a known size",
            options={"size_gb": size, "approx_gb": size},
            needs=("embed",) if task == "classify" else (),
        )
        for task, size in SIZES.items()
    ]
    for spec in specs:
        add_backend(spec)
    PRESETS["sized"] = {spec.task: (spec.name,) for spec in specs}
    LOADS.clear()
    yield "sized"
    del PRESETS["sized"]
    for spec in specs:
        remove_backend(spec.task, spec.name)


@pytest.fixture
def make_server(preset):
    servers = []

    def make(**settings) -> ModelServer:
        server = ModelServer(Settings(preset=preset, **settings))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def loaded(server: ModelServer) -> set[str]:
    return {row["task"] for row in server.memory_state()["loaded"]}


def test_the_least_recently_used_model_goes_first(make_server, caplog):
    server = make_server(memory_budget_gb=4.5)
    server.get("embed")
    server.get("caption")  # 3.5 GB loaded
    server.get("embed")  # used again: caption is now the least recently used
    with caplog.at_level(logging.INFO, logger="mmdemo.serving.server"):
        server.get("vqa")  # 3.5 + 2 > 4.5: caption goes, embed stays
    assert loaded(server) == {"embed", "vqa"}
    state = server.memory_state()
    assert state["loaded_gb"] == pytest.approx(3.0) and state["budget_gb"] == 4.5
    assert [(u["task"], u["reason"]) for u in state["unloaded"]] == [("caption", "budget")]
    assert "Unloaded caption/sized-caption (budget)" in caplog.text
    assert "estimated at 2.00 GB (approx_gb)" in caplog.text  # the estimate names its source


def test_a_reload_after_an_unload_works_and_is_estimated_from_its_measured_size(
    make_server, caplog
):
    server = make_server(memory_budget_gb=4.5)
    first = server.get("caption")
    server.get("vqa")  # 4.5: fits
    server.get("embed")  # caption (LRU) goes
    assert not server.is_loaded("caption") and server.last_load_seconds("caption") is not None
    with caplog.at_level(logging.INFO, logger="mmdemo.serving.server"):
        again = server.get("caption")  # loads again (vqa, now the LRU, makes room)
    assert again is not first and isinstance(again, SizedBackend)
    assert LOADS.count("caption") == 2 and loaded(server) == {"embed", "caption"}
    assert "estimated at 2.50 GB (measured)" in caplog.text


def test_a_model_others_are_built_on_goes_only_with_them(make_server):
    server = make_server(memory_budget_gb=5.0)
    server.get("classify")  # loads embed first, then classify: 2 GB
    server.get("caption")  # 4.5 GB
    server.get("vqa")  # 6.5 > 5: embed is the LRU, and classify is built on it
    assert loaded(server) == {"caption", "vqa"}
    reasons = {u["task"]: u["reason"] for u in server.memory_state()["unloaded"]}
    assert reasons == {"embed": "budget", "classify": "budget"}


def test_what_the_incoming_model_is_built_on_stays(make_server):
    server = make_server(memory_budget_gb=4.0)
    server.get("embed")
    server.get("caption")  # 3.5 GB; embed is the LRU
    server.get("classify")  # 4.5 > 4: embed is needed by classify, so caption goes
    assert loaded(server) == {"embed", "classify"}


def test_a_model_with_a_running_long_job_is_never_unloaded(make_server, caplog):
    server = make_server(memory_budget_gb=4.0)
    server.get("chat")
    with server.long_jobs("chat").slot(), caplog.at_level(logging.WARNING):
        server.get("caption")  # 5.5 > 4, but the chat is busy: loaded anyway, with a warning
    assert loaded(server) == {"chat", "caption"}
    assert "does not fit in 4.00 GB" in caplog.text
    server.get("vqa")  # no job now: chat (LRU) goes first, then caption
    assert "chat" not in loaded(server) and "vqa" in loaded(server)


def test_no_budget_unloads_nothing(make_server):
    server = make_server()
    for task in SIZES:
        server.get(task)
    assert loaded(server) == set(SIZES) and server.memory_state()["unloaded"] == []


def test_the_ttl_unloads_an_idle_model_and_keeps_the_embedder(make_server):
    server = make_server(model_ttl_s=0.05)
    server.get("embed")
    server.get("caption")
    assert server.wait_unloaded("caption", timeout=10), "the TTL reaper did not unload it"
    assert server.is_loaded("embed")  # the embedder stays (memory_budget.TTL_KEEPS)
    assert server.memory_state()["unloaded"][0]["reason"] == "ttl"
    assert server.get("caption") and server.is_loaded("caption")  # a reload works


def test_only_models_idle_past_the_ttl_go(make_server):
    server = make_server(model_ttl_s=60.0)  # the reaper looks every 15 s: this test sweeps
    for task in ("embed", "classify", "caption", "vqa"):
        server.get(task)
    ledger = server._memory
    for task in ("embed", "caption"):  # as if unused for 100 s
        ledger.last_used[(task, f"sized-{task}")] -= 100
    assert server.unload_idle() == [("caption", "sized-caption")]
    assert loaded(server) == {"embed", "classify", "vqa"}


def test_an_idle_model_others_need_goes_only_when_they_are_idle_too(make_server, monkeypatch):
    monkeypatch.setattr("mmdemo.serving.server.TTL_KEEPS", ())  # let the embedder go too
    server = make_server(model_ttl_s=60.0)
    server.get("classify")
    server._memory.last_used[("embed", "sized-embed")] -= 100
    assert server.unload_idle() == []  # classify is in use: embed stays
    server._memory.last_used[("classify", "sized-classify")] -= 100
    assert sorted(server.unload_idle()) == [
        ("classify", "sized-classify"),
        ("embed", "sized-embed"),
    ]


def test_concurrent_gets_and_unloads_do_not_break_the_server(make_server, monkeypatch):
    # the bookkeeping is under test, not gc.collect (0.1 s each here, once per unload)
    released = []
    monkeypatch.setattr("mmdemo.serving.server.release_memory", released.append)
    server = make_server(memory_budget_gb=4.0)
    errors: list[BaseException] = []
    go = threading.Event()

    def visitor(seed: int):
        rng = random.Random(seed)
        go.wait()
        try:
            for _ in range(60):
                task = rng.choice(list(SIZES))
                backend = server.get(task)
                assert isinstance(backend, SizedBackend) and backend.task == task
                if rng.random() < 0.1:
                    server.unload(rng.choice(list(SIZES)))
        except BaseException as err:  # any failure in a thread fails the test
            errors.append(err)

    threads = [threading.Thread(target=visitor, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert released  # the memory was released after unloads
    state = server.memory_state()
    # one exception is allowed by design: a model that alone passes the rest (chat at 3 GB
    # with a busy neighbour); here nothing is busy, so the budget holds after every load
    assert state["loaded_gb"] <= 4.0 + 1e-9
    assert {u["reason"] for u in state["unloaded"]} <= {"budget", "asked"}


def test_plan_unloads_frees_only_what_is_needed():
    loaded = {(name, "1"): {("cpu", i + 1): 2 * GB} for i, name in enumerate("abc")}
    used = {("a", "1"): 3.0, ("b", "1"): 1.0, ("c", "1"): 2.0}
    chosen, fits = plan_unloads(loaded, used, lambda key: set(), GB, 5 * GB, set())
    assert chosen == [("b", "1")] and fits  # 4 + 1 fits 5: one is enough
    chosen, fits = plan_unloads(loaded, used, lambda key: set(), GB, 4.5 * GB, set())
    assert chosen == [("b", "1"), ("c", "1")] and fits
    chosen, fits = plan_unloads(loaded, used, lambda key: set(), GB, 7 * GB, set())
    assert chosen == [] and fits
    everything = set(loaded)
    chosen, fits = plan_unloads(loaded, used, lambda key: set(), GB, 5 * GB, everything)
    assert chosen == [] and not fits


def test_the_estimate_prefers_measured_then_disk_then_approx(preset, tmp_path, monkeypatch):
    from mmdemo.models.hub.files import HubWeights
    from mmdemo.models.registry import get_backend

    weights = [tmp_path / "pytorch_model.bin", tmp_path / "config.json"]
    weights[0].write_bytes(b"\0" * 3000)
    weights[1].write_bytes(b"{}")
    spec = get_backend("vqa", "sized-vqa")
    settings = Settings(preset=preset)
    assert estimate(spec, settings, None).source == "approx_gb"
    assert estimate(spec, settings, 123).bytes == 123
    with_files = BackendSpec(
        task="vqa",
        name="sized-vqa-files",
        load=sized_loader,
        description="x",
        options={"approx_gb": 9},
        hub_files=lambda spec, settings: [HubWeights("org/model", patterns=("*",))],
    )
    monkeypatch.setattr(
        "mmdemo.models.hub.files.cached_files", lambda w, cache_dir: list(map(Path, weights))
    )
    found = estimate(with_files, settings, None)
    assert (found.bytes, found.source) == (3002, "weights on disk")
    bare = BackendSpec(task="vqa", name="bare", load=sized_loader, description="x")
    assert estimate(bare, settings, None).source == "unknown"


def test_info_lists_the_budget_and_each_unload_with_its_reason(make_server):
    from mmdemo.cli.commands.info import memory_lines

    server = make_server(memory_budget_gb=4.5, model_ttl_s=600)
    for task in ("caption", "vqa", "embed"):  # caption goes for embed
        server.get(task)
    lines = memory_lines(server.memory_state())
    assert lines[0] == (
        "memory budget: 3.00 GB of models loaded, budget 4.5 GB; idle models unloaded after 600 s"
    )
    assert lines[1].startswith("unloaded[caption]: sized-caption (budget), 2.50 GB, idle ")


def test_safetensors_count_in_the_serving_dtype(tmp_path):
    import torch
    from safetensors.torch import save_file

    from mmdemo.serving.memory_budget import weights_on_disk

    path = tmp_path / "unet.fp16.safetensors"
    save_file(
        {"w": torch.zeros(100, 10, dtype=torch.float16), "ids": torch.zeros(8, dtype=torch.int64)},
        str(path),
    )
    other = tmp_path / "vocab.txt"
    other.write_bytes(b"x" * 10)
    assert weights_on_disk([path], itemsize=4) == 1000 * 4 + 64  # float16 loaded as float32
    assert weights_on_disk([path], itemsize=2) == 1000 * 2 + 64
    assert weights_on_disk([path, other, tmp_path / "gone"], itemsize=4) == 4064 + 10
