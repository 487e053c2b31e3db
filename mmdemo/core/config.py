"""One typed, validated settings object, read from ``MMDEMO_*`` environment variables.

Why: everything below ``app.py`` and the CLI receives a ``Settings`` value instead of
reading the environment itself, so tests can build one directly and the valid knobs are
listed in one place. The shipped files (reference photos, our trained weights, examples)
are found through ``assets_dir``, never through the code's own location. Imports nothing
from the package except ``errors``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mmdemo.core.errors import BadInputError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """Every setting of the app. Field ``x`` is read from ``MMDEMO_X``."""

    preset: str = "auto"  # auto | full | lite | tiny (auto: full if its weights are at hand)
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    index_dir: Path = PROJECT_ROOT / "index"
    gallery_dir: Path = PROJECT_ROOT / "assets" / "gallery"  # the default gallery's folder
    assets_dir: Path = PROJECT_ROOT / "assets"  # shipped files: references, weights, examples
    cache_dir: Path | None = None  # model weights cache; None means the libraries' default
    batch_size: int = 32
    # caption/VQA requests arriving together run as one batch, up to this many; 1 = off.
    # None: 8 on a GPU, off on CPU (measured slower there: docs/benchmarks.md).
    max_batch: int | None = None
    batch_window_ms: float = 0.0  # wait this long for company before an idle batch starts
    num_workers: int = 2  # image-decoding threads overlapped with the model forward
    max_image_pixels: int = 64_000_000  # larger images are refused (decompression bombs)
    max_upload_mb: float = 50.0
    approx_threshold: int = 50_000  # above this many vectors the index becomes approximate
    # The index's other switches (index/types.py): above index_compact_threshold vectors the
    # exact scan uses compact storage where its recall@10 stays >= 0.99 (None: no compact
    # range; below approx_threshold's 50k flat is a few ms anyway - the fast scan pays off
    # when approx_threshold is raised to keep near-exact search to ~1 M: docs/scale.md
    # section 2); above index_ivfpq_threshold, OPQ+IVF-PQ (candidates re-ranked from fp16
    # copies: 1,096 bytes a 512-d vector instead of HNSW's ~2.3 KB; 8-bit copies, 584, or the
    # 72-byte codes alone at about half the recall, as the budget allows); index_memory_gb: the
    # vectors' budget, a smaller type is chosen when the one the size asks for would not fit
    # (None: no budget).
    index_compact_threshold: int | None = None
    index_ivfpq_threshold: int | None = 2_000_000
    index_memory_gb: float | None = None
    match_threshold: float | None = None  # override the model's calibrated "good match" score
    backends: str | None = None  # per-task overrides, e.g. "vqa=shapes-vqa,caption=..."
    clip_model: str | None = None  # override the preset's open_clip architecture
    clip_pretrained: str | None = None  # override its pretrained tag, or a local checkpoint
    faiss_gpu: bool = True  # use the GPU for search when faiss sees one
    index_default_gallery: bool = True  # index assets/gallery on first start
    max_k: int = 100
    # Who owns the gallery: shared (one gallery for everyone: the laptop demo) or per-visitor
    # (a read-only base + each browser session's own uploads); auto = per-visitor on a
    # Hugging Face Space (SPACE_ID is set there), else shared. See docs/security.md.
    gallery_mode: str = "auto"
    session_ttl_s: float = 3600.0  # a visitor's uploads are removed after this long idle
    visitor_max_images: int = 50  # uploads one visitor may keep at a time
    # Worst case on disk: max_visitors x visitor_max_mb = 10 GB, a fifth of a free Space's
    # 50 GB disk; 50 MB holds ten 5 MB phone photos or fifty small images.
    visitor_max_mb: float = 50.0  # and their total size
    max_visitors: int = 200  # overlays kept at once; the least recently used goes first
    max_upload_files: int = 32  # files in one upload request
    # Changing the shared gallery (re-embed, caption all, remove, reset) from another machine
    # needs this password (or MMDEMO_AUTH); unset, such changes are refused there.
    admin_password: str | None = field(default=None, repr=False)  # never in a log line
    auth: str | None = field(default=None, repr=False)  # "user:pass[,...]": a login for the app
    queue_max_size: int = 64  # requests waiting in Gradio's queue before new ones are refused
    upload_cache_ttl_s: float = 86400.0  # Gradio's copies of uploads and results live this long
    # BLIP generation (captions, VQA answers) stops after this many seconds per image and
    # returns the text so far, so one request cannot hold a model for minutes; a normal
    # caption takes seconds on a 2-core CPU, so only a runaway one is ever cut.
    generate_max_s: float = 30.0
    # glibc's mmap threshold for the app's process (serving/allocator.py says why); 0 keeps
    # glibc's own dynamic threshold, under which a busy server's memory keeps creeping up.
    malloc_mmap_threshold_kb: int = 128
    # Long jobs (serving/long_jobs.py): at most this many chat replies / drawn images at a
    # time (the next is refused with "try again in a moment", not queued behind them), each
    # stopped after its time limit, so they cannot hold every worker from other visitors.
    chat_concurrency: int = 2
    chat_max_s: float = 120.0
    generate_concurrency: int = 1
    generate_image_max_s: float = 300.0
    # Memory (serving/memory_budget.py): before a model loads, least recently used ones are
    # unloaded until the estimate fits this many GB; models idle this long are unloaded.
    # None: no budget / no TTL (every model stays loaded once used).
    memory_budget_gb: float | None = None
    model_ttl_s: float | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.preset.strip():
            raise BadInputError("MMDEMO_PRESET is empty; name a preset (auto, full, lite or tiny).")
        dev = self.device
        if not (dev in ("auto", "cpu", "cuda") or dev.startswith("cuda:")):
            raise BadInputError(f"Unknown device {dev!r}. Use auto, cpu, cuda or cuda:N.")
        counts = (
            "batch_size", "max_batch", "max_image_pixels", "approx_threshold", "max_k",
            "visitor_max_images", "max_visitors", "max_upload_files", "queue_max_size",
            "chat_concurrency", "generate_concurrency", "index_compact_threshold",
            "index_ivfpq_threshold",
        )  # fmt: skip
        for name in counts:
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise BadInputError(f"MMDEMO_{name.upper()} must be at least 1.")
        if self.batch_window_ms < 0:
            raise BadInputError("MMDEMO_BATCH_WINDOW_MS must be 0 or more.")
        if self.num_workers < 0:
            raise BadInputError("MMDEMO_NUM_WORKERS must be 0 or more.")
        if self.gallery_mode not in GALLERY_MODES:
            raise BadInputError(
                f"Unknown MMDEMO_GALLERY_MODE {self.gallery_mode!r}: use "
                f"{', '.join(GALLERY_MODES)}."
            )
        lifetimes = (self.session_ttl_s, self.visitor_max_mb, self.upload_cache_ttl_s)
        if not all(math.isfinite(value) and value > 0 for value in lifetimes):
            raise BadInputError(
                "MMDEMO_SESSION_TTL_S, MMDEMO_VISITOR_MAX_MB and MMDEMO_UPLOAD_CACHE_TTL_S "
                "must be numbers above 0."
            )
        if not (math.isfinite(self.generate_max_s) and self.generate_max_s > 0):
            raise BadInputError("MMDEMO_GENERATE_MAX_S must be a number of seconds above 0.")
        for name in ("chat_max_s", "generate_image_max_s"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise BadInputError(f"MMDEMO_{name.upper()} must be a number of seconds above 0.")
        for name in ("memory_budget_gb", "model_ttl_s", "index_memory_gb"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise BadInputError(
                    f"MMDEMO_{name.upper()} must be a number above 0, or unset for none."
                )
        if not 0 <= self.malloc_mmap_threshold_kb <= 32 * 1024:  # glibc's own maximum
            raise BadInputError("MMDEMO_MALLOC_MMAP_THRESHOLD_KB must be 0 to 32768.")
        parse_auth(self.auth)  # a malformed MMDEMO_AUTH fails at start-up, not at login

    def resolved_gallery_mode(self, environ: Mapping[str, str] | None = None) -> str:
        """``shared`` or ``per-visitor``: ``auto`` becomes per-visitor on a Space."""
        if self.gallery_mode != "auto":
            return self.gallery_mode
        environ = os.environ if environ is None else environ
        return "per-visitor" if environ.get("SPACE_ID") else "shared"

    def index_limits(self) -> dict:
        """The keyword arguments ``VectorIndex`` takes to choose its type (``index.types``)."""
        budget = self.index_memory_gb
        return {
            "approx_threshold": self.approx_threshold,
            "compact_threshold": self.index_compact_threshold,
            "ivfpq_threshold": self.index_ivfpq_threshold,
            "memory_budget_bytes": None if budget is None else int(budget * 1024**3),
        }

    def replace(self, **changes) -> Settings:
        """A copy with some fields changed (CLI flags override the environment this way)."""
        return dataclasses.replace(self, **changes)


GALLERY_MODES = ("auto", "shared", "per-visitor")


def parse_auth(text: str | None) -> list[tuple[str, str]]:
    """``"user:pass,user2:pass2"`` -> [(user, pass), ...]; a malformed entry is refused."""
    pairs = []
    for entry in (text or "").split(","):
        if not entry.strip():
            continue
        user, sep, password = entry.strip().partition(":")
        if not sep or not user or not password:
            raise BadInputError(
                "MMDEMO_AUTH entries are user:password, separated by commas; one entry is "
                "not (the entry is not shown: it may hold a password)."
            )
        pairs.append((user, password))
    return pairs


def _parse(value: str, annotation: str, name: str):
    """Turn an environment string into the field's type; a bad value names the variable."""
    kind = annotation.replace(" | None", "")
    if value == "" and "None" in annotation:
        return None
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind == "Path":
            return Path(value).expanduser()
    except ValueError:
        raise BadInputError(f"MMDEMO_{name.upper()}={value!r} is not a valid {kind}.") from None
    return value


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from ``MMDEMO_*`` variables (unknown ones are kept in ``extra``)."""
    environ = os.environ if environ is None else environ
    values: dict = {}
    known = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}
    extra = {}
    for key, value in environ.items():
        if not key.startswith("MMDEMO_"):
            continue
        name = key[len("MMDEMO_") :].lower()
        if name in known:
            values[name] = _parse(value, str(known[name].type), name)
        else:
            extra[name] = value
    return Settings(**values, extra=extra)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (tests build their own ``Settings`` instead)."""
    return settings_from_env()
