"""Our easy-VQA shapes model alone, as a VQA backend (``MMDEMO_BACKENDS=vqa=shapes-vqa``).

The network, its checkpoints and its world live in ``models/shared/shapes_*`` because the
routed VQA uses them too; the weights were trained here (``python -m mmdemo train
shapes-vqa``) and ship in ``assets/models/shapes_vqa/``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.results import VqaResult
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.shapes_model import ShapesModel, load_shapes_model, weights_path
from mmdemo.models.shared.shapes_world import DEFAULT_FUSION


def weights_dir(settings: Settings) -> Path:
    """Where the shipped shapes-VQA checkpoints are (one per fusion)."""
    return Path(settings.assets_dir) / "models" / "shapes_vqa"


class ShapesVqa(Backend):
    """Answers a question about one easy-VQA-style image, or says why it cannot."""

    task = "vqa"

    def __init__(self, spec: BackendSpec, model: ShapesModel):
        super().__init__(spec, model.device, model.dtype, model_label=model.model_label)
        self.model = model

    def modules(self) -> list[torch.nn.Module]:
        return [self.model.net]

    def can_answer(self, question: str) -> bool:
        return self.model.can_answer(question)

    def answer(self, image: Image.Image, question: str, top_k: int = 5) -> VqaResult:
        return self.model.answer(image, question, top_k)


def load(spec: BackendSpec, ctx: LoadContext) -> ShapesVqa:
    """Option ``fusion`` picks the shipped checkpoint; ``weights`` (a path) another file."""
    fusion = spec.option("fusion", DEFAULT_FUSION)
    path = Path(spec.option("weights") or weights_path(weights_dir(ctx.settings), fusion))
    return ShapesVqa(spec, load_shapes_model(path, fusion, ctx.device, ctx.dtype))


SPECS = (
    BackendSpec(
        task="vqa",
        name="shapes-vqa",
        load=load,
        label="Shapes model trained here (easy-VQA world only)",
        description="our easy-VQA shapes model only (CNN + GRU question encoder + product fusion)",
        capabilities=Capabilities(question_kinds=(("shapes", ("shape", "colour", "is_there")),)),
    ),
)
