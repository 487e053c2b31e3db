"""The VQA backend of ``lite`` (and, until a generative VQA model lands, every preset).

Two honest models behind one ``answer``: images from the easy-VQA shapes world go to the
shapes model we trained (``shapes_vqa``), in whichever of its four fusion variants the
user picks, so the effect of the fusion step can be seen on the same question; ordinary
photos go to the similarity-based photo VQA (``photo_vqa``). The result names which model
answered.
"""

from __future__ import annotations

import logging

from PIL import Image

from mmdemo.errors import ModelLoadError, UnknownNameError
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.photo_vqa import PhotoVqa, normalise_question
from mmdemo.models.registry import BackendSpec, spec
from mmdemo.models.shapes_vqa import DEFAULT_FUSION, FUSIONS, ShapesVqa, looks_like_shapes_image
from mmdemo.types import VqaResult

log = logging.getLogger(__name__)


class RoutedVqa(Backend):
    task = "vqa"

    def __init__(
        self,
        backend_spec: BackendSpec,
        photo: PhotoVqa,
        shapes: dict[str, ShapesVqa | ModelLoadError],
        default_fusion: str = DEFAULT_FUSION,
    ):
        embedder = photo.embedder
        super().__init__(
            backend_spec,
            embedder.device,
            embedder.dtype,
            model_label=f"shapes-vqa ({default_fusion} fusion) + photo VQA",
        )
        self.photo = photo
        self.shapes = shapes  # fusion -> model, or the error that stopped it loading
        self.default_fusion = default_fusion
        self.fusions = tuple(shapes)  # the UI offers these in a dropdown

    def modules(self):
        return [m for model in self.shapes.values() if isinstance(model, ShapesVqa)
                for m in model.modules()]  # fmt: skip

    def answer(
        self, image: Image.Image, question: str, top_k: int = 5, fusion: str | None = None
    ) -> VqaResult:
        question = normalise_question(question)
        if not looks_like_shapes_image(image):
            return self.photo.answer(image, question, top_k)
        fusion = fusion or self.default_fusion
        if fusion not in self.shapes:
            raise UnknownNameError("fusion", fusion, self.shapes)
        model = self.shapes[fusion]
        if isinstance(model, ModelLoadError):
            raise model  # says which weights file is missing and how to retrain it
        return model.answer(image, question, top_k)


def load(backend_spec: BackendSpec, ctx: LoadContext) -> RoutedVqa:
    from mmdemo.models import shapes_vqa

    shapes: dict[str, ShapesVqa | ModelLoadError] = {}
    for fusion in FUSIONS:  # ~0.5 MB each: all four load in well under a second
        shapes_spec = spec(
            "vqa", "shapes-vqa", "mmdemo.models.shapes_vqa:load", "", options={"fusion": fusion}
        )
        try:
            shapes[fusion] = shapes_vqa.load(shapes_spec, ctx)
        except ModelLoadError as err:  # photos can still be answered; shapes get the error
            log.warning("%s", err)
            shapes[fusion] = err
    photo = PhotoVqa(ctx.get("embed"), ctx.settings.cache_dir)
    return RoutedVqa(backend_spec, photo, shapes, backend_spec.option("fusion", DEFAULT_FUSION))
