"""The result of indexing a folder on Ray (``services.ray_ingest``): the same ``AddReport``
as the local engine, plus the figures that say what the cluster gave (images/s, actors).

Why its own file: the CLI's ``--json`` and the benchmark read one shape (``to_json``)."""

from __future__ import annotations

from dataclasses import dataclass

from mmdemo.core.results import AddReport


@dataclass(frozen=True)
class RayIndexReport:
    """What ``index --engine ray`` did: the add report, and how fast (``ray.init`` apart)."""

    report: AddReport
    images: int  # files listed in the folder (every one was read and hashed)
    seconds: float  # pipeline + merge + save, wall time (ray.init not included)
    init_seconds: float  # ray.init (0.0 when Ray was already running)
    actors: int  # model actors (0: the driver embedded, one machine without GPUs)
    gpus: int  # GPUs the actors used (0: CPU)
    shards: int  # shard files written and merged

    @property
    def images_per_s(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        device = f"{self.gpus} GPU(s)" if self.gpus else "CPU"
        models = f"{self.actors} model actor(s)" if self.actors else "the driver's model"
        speed = (
            f"ray: {self.images} file(s) in {self.seconds:.1f} s ({self.images_per_s:.1f} img/s) "
            f"on {models}, {device}; {self.shards} shard(s) merged; "
            f"ray.init {self.init_seconds:.1f} s"
        )
        return "\n".join([self.report.summary(), speed])

    def to_json(self) -> dict:
        return {
            **self.report.to_json(),
            "engine": "ray",
            "images": self.images,
            "seconds": round(self.seconds, 3),
            "images_per_s": round(self.images_per_s, 2),
            "init_seconds": round(self.init_seconds, 3),
            "actors": self.actors,
            "gpus": self.gpus,
            "shards": self.shards,
        }
