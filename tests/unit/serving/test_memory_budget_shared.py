"""The memory budget counts each tensor storage once across the loaded models: a model built
on another (zero-shot classify on the embedder), tied weights and views of one tensor, and a
router holding no tensors of its own are not counted twice; a model's own size is what
unloading it alone frees. Each test fails on the old counting (each backend's ``info()``
summed, an empty backend counted at its estimate)."""

from __future__ import annotations

import pytest
import torch

from mmdemo.core.config import Settings
from mmdemo.models.base import Backend
from mmdemo.models.presets import PRESETS
from mmdemo.models.registry import BackendSpec, add_backend, remove_backend
from mmdemo.serving import ModelServer
from mmdemo.serving.memory_budget import GB, own_bytes, plan_unloads, storages_of, union_bytes

MIB = 16 * 2**20  # the unit of these tests: memory_state rounds to 1/1000 GB
FLOATS_PER_MIB = MIB // 4
SHARED: dict[str, torch.nn.Module] = {}  # the embedder's module, as a dependent sees it


def block(mib: int) -> torch.nn.Module:
    """A module holding ``mib`` units of float32 in one parameter."""
    module = torch.nn.Module()
    module.weight = torch.nn.Parameter(torch.zeros(mib * FLOATS_PER_MIB))
    return module


def tied(mib: int) -> torch.nn.Module:
    """Two modules' worth of parameters over one storage: the same Parameter in two places,
    and a second Parameter viewing the first's memory (as tied embeddings may)."""
    module = torch.nn.Module()
    module.encoder = block(mib)
    module.decoder = torch.nn.Module()
    module.decoder.weight = module.encoder.weight  # tied: the same Parameter
    module.head = torch.nn.Module()
    module.head.weight = torch.nn.Parameter(module.encoder.weight.data.view(-1, 4))  # a view
    return module


class ModuleBackend(Backend):
    def __init__(self, spec, ctx, held: list[torch.nn.Module]):
        super().__init__(spec, ctx.device, ctx.dtype, spec.label)
        self.task = spec.task
        self.held = held

    def modules(self) -> list[torch.nn.Module]:
        return self.held


def embed_loader(spec, ctx):
    SHARED["embed"] = block(2)
    return ModuleBackend(spec, ctx, [SHARED["embed"]])


def classify_loader(spec, ctx):
    ctx.get("embed")  # built on it, and (as a backend may) listing its module too
    return ModuleBackend(spec, ctx, [SHARED["embed"], block(1)])


def caption_loader(spec, ctx):
    return ModuleBackend(spec, ctx, [tied(2)])


def router_loader(spec, ctx):
    return ModuleBackend(spec, ctx, [])  # routes to other models: holds no tensors itself


def vqa_loader(spec, ctx):
    return ModuleBackend(spec, ctx, [block(1)])


LOADERS = {
    "embed": (embed_loader, ()),
    "classify": (classify_loader, ("embed",)),
    "caption": (caption_loader, ()),
    "sentiment": (router_loader, ()),
    "vqa": (vqa_loader, ()),
}


@pytest.fixture
def make_server():
    specs = [
        BackendSpec(
            task=task,
            name=f"shared-{task}",
            load=loader,
            description="a model of known tensors",
            # what the old counting fell back to for a backend holding no tensors
            options={"approx_gb": MIB / GB},
            needs=needs,
        )
        for task, (loader, needs) in LOADERS.items()
    ]
    for spec in specs:
        add_backend(spec)
    PRESETS["shared"] = {spec.task: (spec.name,) for spec in specs}
    servers = []

    def make(**settings) -> ModelServer:
        server = ModelServer(Settings(preset="shared", device="cpu", **settings))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()
    del PRESETS["shared"]
    for spec in specs:
        remove_backend(spec.task, spec.name)


def units(gb: float) -> float:
    return gb * GB / MIB


def test_tied_weights_and_views_count_once():
    module = tied(2)
    backend = ModuleBackend.__new__(ModuleBackend)
    backend.held = [module, module.encoder]  # listed twice, too
    found = storages_of(backend)
    assert len(found) == 1 and union_bytes([found]) == 2 * MIB
    # the old count (distinct tensors) saw three parameters' worth here
    distinct = {id(t): t for m in backend.held for t in m.parameters()}
    assert sum(t.numel() * t.element_size() for t in distinct.values()) == 4 * MIB


def test_a_backend_without_modules_counts_its_info_else_the_fallback():
    class Opaque:
        def info(self):
            raise RuntimeError("no info")

    assert union_bytes([storages_of(Opaque(), 123)]) == 123


def test_the_loaded_total_is_the_true_sum(make_server):
    server = make_server()
    for task in LOADERS:
        server.get(task)
    state = server.memory_state()
    # embed 2 + classify's head 1 + caption 2 (tied) + router 0 + vqa 1 units
    assert units(state["loaded_gb"]) == pytest.approx(6, abs=0.1)
    own = {row["task"]: units(row["gb"]) for row in state["loaded"]}
    assert own == pytest.approx(
        {"embed": 0, "classify": 1, "caption": 2, "sentiment": 0, "vqa": 1}, abs=0.1
    )
    assert units(state["shared_gb"]) == pytest.approx(2, abs=0.1)  # embed's, held by classify


def test_a_budget_the_true_sum_fits_unloads_nothing(make_server):
    # 6 units fit 6.5; the old counting saw 2 + 3 + 6 + 1 (the router's estimate) + 1 = 13
    server = make_server(memory_budget_gb=6.5 * MIB / GB)
    for task in LOADERS:
        server.get(task)
    state = server.memory_state()
    assert state["unloaded"] == [] and {row["task"] for row in state["loaded"]} == set(LOADERS)


def test_an_unload_frees_and_reports_what_others_do_not_hold(make_server):
    server = make_server()
    for task in ("embed", "classify", "caption"):
        server.get(task)
    server.unload("embed")  # classify still holds the embedder's tensor: nothing freed
    server.unload("classify")  # now the head and the embedder's tensor go
    freed = {u["task"]: units(u["gb"]) for u in server.memory_state()["unloaded"]}
    assert freed == pytest.approx({"embed": 0, "classify": 3}, abs=0.1)
    assert units(server.memory_state()["loaded_gb"]) == pytest.approx(2, abs=0.1)


def test_a_reload_is_estimated_at_what_its_last_load_added(make_server):
    server = make_server(memory_budget_gb=1.0)
    server.get("classify")
    measured = server._memory.measured
    assert measured[("embed", "shared-embed")] == 2 * MIB
    assert measured[("classify", "shared-classify")] == 1 * MIB  # the embedder was there
    server.get("sentiment")
    assert measured[("sentiment", "shared-sentiment")] == 0  # a measurement, not "unknown"


def test_plan_unloads_keeps_a_group_that_would_free_nothing():
    shared = {("cpu", 1): 2 * GB}
    loaded = {
        ("a", "1"): shared,  # least recently used, but b holds the same tensor
        ("b", "1"): {**shared, ("cpu", 2): GB},
        ("c", "1"): {("cpu", 3): GB},
    }
    used = {("a", "1"): 1.0, ("b", "1"): 2.0, ("c", "1"): 3.0}
    assert union_bytes(loaded.values()) == 4 * GB
    assert own_bytes(("a", "1"), loaded) == 0 and own_bytes(("b", "1"), loaded) == GB
    chosen, fits = plan_unloads(loaded, used, lambda key: set(), GB, 4 * GB, set())
    assert chosen == [("b", "1")] and fits  # a would free nothing; b frees 1 GB: 3 + 1 fit
    chosen, fits = plan_unloads(loaded, used, lambda key: set(), GB, 2 * GB, set())
    assert chosen == [("b", "1"), ("a", "1")] and fits  # with b gone, a's tensor is its own
