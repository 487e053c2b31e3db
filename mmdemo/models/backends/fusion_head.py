"""The early-fusion sentiment head: a small classifier on [image embedding, text embedding].

Why a backend: it is a model, so only the serving module loads it (``server.get(
"sentiment_head")``), built on the active embedder (``needs=("embed",)``). No head ships
with mmdemo - there is no multimodal sentiment set we could train on offline - so people
train one on their own CSV with ``python -m mmdemo train sentiment-fusion --data CSV``.

The weights (``head.pt``, loadable with ``weights_only=True``) have a JSON sidecar
(``head.json``) naming the embedder and dimension they were trained with; like the index,
a head from another embedder is refused with a message saying what to do, because its
input vectors would mean something else. A missing head says which command trains one.
Default place: ``<index dir>/sentiment_fusion/head.pt`` (user data, next to the index).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mmdemo.core.config import Settings
from mmdemo.core.errors import ModelLoadError
from mmdemo.core.sentiment_results import CLASSES
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec

log = logging.getLogger(__name__)

FORMAT = "mmdemo.sentiment_fusion_head/1"
TRAIN_COMMAND = "python -m mmdemo train sentiment-fusion --data CSV"


def default_head_path(settings: Settings) -> Path:
    return Path(settings.index_dir) / "sentiment_fusion" / "head.pt"


def sidecar_for(path: Path) -> Path:
    return Path(path).with_suffix(".json")


def _train_hint(path: Path, settings: Settings | None = None) -> str:
    where = ""
    if settings is not None and Path(path) != default_head_path(settings):
        where = f" --out {path}"
    return (
        f"Train one with: {TRAIN_COMMAND}{where} (a CSV with image,text,label columns; use "
        "the same --preset as the app), or choose the late or caption fusion."
    )


class NoFusionHeadError(ModelLoadError):
    """No head has been trained yet (or its files are gone)."""

    def __init__(self, path: Path, settings: Settings | None = None):
        self.path = Path(path)
        super().__init__(
            "early-fusion sentiment head",
            f"no head has been trained yet (looked for {path})",
            _train_hint(path, settings),
        )


class FusionHeadMismatchError(ModelLoadError):
    """The head was trained on another embedder's vectors (or another dimension)."""

    def __init__(self, path: Path, found: str, expected: str):
        super().__init__(
            "early-fusion sentiment head",
            f"the head in {path} was trained on {found}, but the active embedder is "
            f"{expected}; vectors from different models cannot be mixed",
            f"Retrain it for this embedder ({TRAIN_COMMAND} --preset <the app's preset>), "
            "or switch back to the preset it was trained with.",
        )


class FusionHeadNet(nn.Module):
    """Logistic regression (``hidden=0``) or a one-hidden-layer MLP on [image, text]."""

    def __init__(self, dim: int, num_classes: int, hidden: int = 0, dropout: float = 0.1):
        super().__init__()
        self.config = {"dim": dim, "num_classes": num_classes, "hidden": hidden}
        inputs = 2 * dim
        if hidden:
            self.layers = nn.Sequential(
                nn.Linear(inputs, hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(hidden, num_classes),
            )
        else:
            self.layers = nn.Sequential(nn.Linear(inputs, num_classes))

    def forward(self, image_vectors: torch.Tensor, text_vectors: torch.Tensor) -> torch.Tensor:
        return self.layers(torch.cat([image_vectors, text_vectors], dim=-1))


def save_head(net: FusionHeadNet, meta: dict, path: Path) -> Path:
    """Write weights and sidecar atomically (a running app never reads half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = {
        "format": FORMAT,
        "config": dict(net.config),
        "state_dict": {k: v.detach().float().clone() for k, v in net.state_dict().items()},
    }
    meta = {"format": FORMAT, **meta, **net.config}
    for target, write in (
        (sidecar_for(path), lambda f: f.write(json.dumps(meta, indent=2).encode() + b"\n")),
        (path, lambda f: torch.save(checkpoint, f)),
    ):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
    log.info("Saved the fusion head to %s (+ %s)", path, sidecar_for(path).name)
    return path


def read_meta(path: Path, settings: Settings | None = None) -> dict:
    """The sidecar of the head at ``path``; NoFusionHeadError when there is none."""
    path = Path(path)
    sidecar = sidecar_for(path)
    if not path.is_file() or not sidecar.is_file():
        raise NoFusionHeadError(path, settings)
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelLoadError(
            "early-fusion sentiment head",
            f"{sidecar} is not readable JSON ({err})",
            _train_hint(path, settings),
        ) from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelLoadError(
            "early-fusion sentiment head",
            f"{sidecar} is not a {FORMAT} sidecar",
            _train_hint(path, settings),
        )
    return meta


def check_embedder(meta: dict, embedder, path: Path) -> None:
    """Refuse a head trained on another embedder or dimension."""
    found = f"{meta.get('embedder')} ({meta.get('dim')}-d)"
    expected = f"{embedder.model_id} ({embedder.dim}-d)"
    if meta.get("embedder") != embedder.model_id or int(meta.get("dim", -1)) != embedder.dim:
        raise FusionHeadMismatchError(path, found, expected)


class FusionHead(Backend):
    """``predict(image_vectors, text_vectors)`` -> (n, 3) probabilities over CLASSES."""

    task = "sentiment_head"

    def __init__(self, spec: BackendSpec, net: FusionHeadNet, meta: dict, path: Path, embedder):
        super().__init__(
            spec, torch.device("cpu"), torch.float32, model_label=f"fusion head ({path})"
        )
        self.net = net.eval()
        self.meta = meta
        self.path = Path(path)
        self.dim = int(meta["dim"])
        self.classes = tuple(meta["classes"])
        self.embedder_id = embedder.model_id
        self.mtime_ns = self.path.stat().st_mtime_ns
        # where each head class goes in (negative, neutral, positive)
        self._columns = [CLASSES.index(c) for c in self.classes]

    def modules(self) -> list[torch.nn.Module]:
        return [self.net]

    def is_stale(self) -> bool:
        """True when the file was retrained (or removed) since it was loaded."""
        try:
            return self.path.stat().st_mtime_ns != self.mtime_ns
        except OSError:
            return True

    def predict(self, image_vectors: np.ndarray | None, text_vectors: np.ndarray | None):
        """Probabilities (n, 3); a missing modality is a zero vector, as in training."""
        if image_vectors is None and text_vectors is None:
            raise ValueError("predict needs image vectors, text vectors, or both")
        n = len(image_vectors if image_vectors is not None else text_vectors)
        zeros = np.zeros((n, self.dim), np.float32)
        image = torch.from_numpy(
            np.asarray(image_vectors if image_vectors is not None else zeros, np.float32)
        )
        text = torch.from_numpy(
            np.asarray(text_vectors if text_vectors is not None else zeros, np.float32)
        )
        with torch.inference_mode():
            probs = self.net(image, text).float().softmax(-1).numpy()
        out = np.zeros((n, len(CLASSES)), np.float64)
        out[:, self._columns] = probs
        return out


def load_net(path: Path) -> FusionHeadNet:
    """The head's weights (``weights_only``: a head file cannot run code)."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        config = checkpoint["config"]
        net = FusionHeadNet(int(config["dim"]), int(config["num_classes"]), int(config["hidden"]))
        net.load_state_dict(checkpoint["state_dict"])
    except Exception as err:  # pickle, key and shape errors all mean "not a usable head"
        raise ModelLoadError(
            "early-fusion sentiment head",
            f"{path} is not a usable head ({type(err).__name__}: {str(err)[:200]})",
            f"Train it again: {TRAIN_COMMAND}",
        ) from err
    return net


def load(spec: BackendSpec, ctx: LoadContext) -> FusionHead:
    """The head at the spec's ``path`` (else the default place), checked against the embedder."""
    path = Path(spec.option("path") or default_head_path(ctx.settings))
    meta = read_meta(path, ctx.settings)
    embedder = ctx.get("embed")
    check_embedder(meta, embedder, path)
    unknown = [c for c in meta.get("classes", ()) if c not in CLASSES]
    if unknown or not meta.get("classes"):
        raise ModelLoadError(
            "early-fusion sentiment head",
            f"{sidecar_for(path)} names classes {meta.get('classes')}, not {', '.join(CLASSES)}",
            f"Train it again: {TRAIN_COMMAND}",
        )
    net = load_net(path)
    if (
        net.config["dim"] != embedder.dim
        or len(meta.get("classes", ())) != net.config["num_classes"]
    ):
        raise FusionHeadMismatchError(path, f"{net.config['dim']}-d weights", f"{embedder.dim}-d")
    head = FusionHead(spec, net, meta, path, embedder)
    log.info("Loaded the fusion head %s (%s)", path, ", ".join(head.classes))
    return head


SPECS = (
    BackendSpec(
        task="sentiment_head",
        name="trained-fusion-head",
        load=load,
        label="early-fusion head trained here",
        description="early-fusion sentiment head on [image, text] embeddings, trained with "
        f"{TRAIN_COMMAND}",
        needs=("embed",),
    ),
)
