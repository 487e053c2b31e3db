"""What is running: the preset and why, the device, the loaded models, the index, memory.

Why one report: ``python -m mmdemo info`` (text and ``--json``) and the UI's status panel
show the same facts; both format this one object. The index's type and its recall@10 come
from the index itself (measured when its structure was built, ``index.types``); the model
memory budget and the recent unloads from ``ModelServer.memory_state()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmdemo.core.errors import MMDemoError
from mmdemo.core.results import IndexStats, ModelInfo
from mmdemo.index.types import EXACT
from mmdemo.services.gallery import Gallery
from mmdemo.serving import ModelServer


@dataclass(frozen=True)
class IndexType:
    """Which structure holds the vectors and the recall@10 it measured against exact search
    when it was built (``None``: saved before recall was measured; flat is exact by
    definition, measured on 0 queries)."""

    kind: str  # flat | fastscan | sq8 | fp16 | hnsw | ivfpq
    recall_at_10: float | None
    measured_on: int
    rerank_from: str | None = None  # IVF-PQ: "fp16" / "sq8" copies its candidates re-rank from

    @property
    def name(self) -> str:
        """The kind, told apart by what IVF-PQ re-ranks from (``ivfpq_rerank_fp16``): the key
        of its name in the panel."""
        return f"{self.kind}_rerank_{self.rerank_from}" if self.rerank_from else self.kind

    @property
    def exact(self) -> bool:
        return self.kind in EXACT

    @classmethod
    def of(cls, stats: IndexStats) -> IndexType:
        extra = stats.extra
        recall = extra.get("recall_at_10")
        return cls(
            kind=str(extra.get("index_type") or stats.kind),
            recall_at_10=None if recall is None else float(recall),
            measured_on=int(extra.get("recall_measured_on") or 0),
            rerank_from=extra.get("rerank_from") or None,
        )

    def to_json(self) -> dict:
        return {
            "type": self.kind,
            "exact": self.exact,
            "recall_at_10": self.recall_at_10,
            "recall_measured_on": self.measured_on,
            "rerank_from": self.rerank_from,
        }


@dataclass(frozen=True)
class StatusReport:
    preset: str
    preset_requested: str
    preset_reason: str
    device: str
    index_dir: str
    index: IndexStats | None
    error: str | None  # why the index is not available, if it is not
    models: tuple[ModelInfo, ...] = ()
    memory: dict = field(default_factory=dict)  # rss_mib (+ cuda_allocated_mib on a GPU)
    # ModelServer.memory_state(): budget_gb, ttl_s, loaded_gb, loaded, unloaded (newest first)
    model_memory: dict = field(default_factory=dict)

    @property
    def index_type(self) -> IndexType | None:
        return None if self.index is None else IndexType.of(self.index)

    @property
    def memory_limited(self) -> bool:
        """A model memory budget or TTL is set: models may be unloaded, so say so."""
        state = self.model_memory
        return state.get("budget_gb") is not None or state.get("ttl_s") is not None

    def to_json(self) -> dict:
        data: dict = {
            "preset": self.preset,
            "preset_requested": self.preset_requested,
            "preset_reason": self.preset_reason,
            "device": self.device,
            "index_dir": self.index_dir,
        }
        if self.index is not None:
            data["index"] = self.index.to_json()
            data["index_type"] = IndexType.of(self.index).to_json()
        if self.error is not None:
            data["error"] = self.error
        data["models"] = [m.to_json() for m in self.models]
        data["memory_mib"] = round(self.memory.get("rss_mib", 0.0))
        return data


def status(server: ModelServer, gallery: Gallery) -> StatusReport:
    """The report; opening the index may load the embedder (its first use), except while
    the start-up warm-up is loading it: then the report says so instead of waiting."""
    stats, error = None, None
    loading = server.warm_state().loading
    if loading:
        error = "the models are still loading (start-up); ready in a moment"
    else:
        try:
            stats = gallery.stats()
        except MMDemoError as err:
            error = str(err)
    return StatusReport(
        preset=server.preset,
        preset_requested=server.choice.requested,
        preset_reason=server.choice.reason,
        # while loading, the setting (resolving the device imports torch, which may be
        # half-imported by the warm-up thread: this report would wait for it)
        device=server.settings.device if loading else str(server.device),
        index_dir=str(gallery.settings.index_dir),
        index=stats,
        error=error,
        models=tuple(server.loaded()),
        memory=server.memory_report(),
        model_memory=server.memory_state(),
    )
