"""The VQA backend of ``lite`` (and a choice in every preset): a router over two honest models.

Images from the easy-VQA shapes world go to the shapes model we trained, in whichever of
its four fusion variants the visitor picks (``Capabilities.fusions``), so the effect of the
fusion step can be seen on the same question; ordinary photos go to the similarity-based
photo VQA (the ``photo-vqa`` backend). The result names which model answered.

Photos may be asked about in Chinese (the photo VQA answers in Chinese); the shapes model
learnt easy-VQA's English questions only, so a Chinese question about a shapes image gets a
plain "ask in English", never an answer to a question it could not read.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from mmdemo.core.errors import ModelLoadError, UnknownNameError
from mmdemo.core.results import VqaResult
from mmdemo.core.text import check_question, mostly_non_latin
from mmdemo.models.base import Backend, LoadContext
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.shapes_model import ShapesModel, load_shapes_model, weights_path
from mmdemo.models.shared.shapes_world import DEFAULT_FUSION, FUSIONS, looks_like_shapes_image

log = logging.getLogger(__name__)

# What each of the two routes answers (the shapes model: its world's shapes and colours and
# yes/no about them; the photo VQA: "what is this?" and "is there a ...?"), declared so the
# Ask tab offers only such questions. Measured on the shipped examples (tests/integration/
# test_examples.py); yes/no about a colour ("is the shape green?") is not reliable, so a
# suggestion of it is not offered.
SHAPES_KINDS = ("shape", "colour", "is_there")
PHOTO_KINDS = ("what", "is_there")
LANGUAGES = ("en", "zh")  # photo questions in both (answered in their language)
SHAPES_ENGLISH_ONLY = (
    "The shapes model was trained on English questions only and cannot read this one. Ask "
    'it in English, e.g. "what shape is this?" or "what color is the shape?".'
)


class RoutedVqa(Backend):
    task = "vqa"

    def __init__(
        self,
        spec: BackendSpec,
        photo,
        shapes: dict[str, ShapesModel | ModelLoadError],
        default_fusion: str = DEFAULT_FUSION,
    ):
        super().__init__(
            spec,
            photo.device,
            photo.dtype,
            model_label=f"shapes-vqa ({default_fusion} fusion) + photo VQA",
        )
        self.photo = photo
        self.shapes = shapes  # fusion -> model, or the error that stopped it loading
        self.default_fusion = default_fusion

    def modules(self):
        return [m.net for m in self.shapes.values() if isinstance(m, ShapesModel)]

    def answer(
        self, image: Image.Image, question: str, top_k: int = 5, fusion: str | None = None
    ) -> VqaResult:
        question = check_question(question)
        if not looks_like_shapes_image(image):
            return self.photo.answer(image, question, top_k)
        fusion = fusion or self.default_fusion
        if fusion not in self.shapes:
            raise UnknownNameError("fusion", fusion, self.shapes)
        model = self.shapes[fusion]
        if mostly_non_latin(question):
            label = model.model_label if isinstance(model, ShapesModel) else self.model_label
            return VqaResult((), False, label, SHAPES_ENGLISH_ONLY)
        if isinstance(model, ModelLoadError):
            raise model  # says which weights file is missing and how to retrain it
        return model.answer(image, question, top_k)


def load(spec: BackendSpec, ctx: LoadContext) -> RoutedVqa:
    folder = Path(ctx.settings.assets_dir) / "models" / "shapes_vqa"
    shapes: dict[str, ShapesModel | ModelLoadError] = {}
    for fusion in FUSIONS:  # ~0.5 MB each: all four load in well under a second
        try:
            shapes[fusion] = load_shapes_model(
                weights_path(folder, fusion), fusion, ctx.device, ctx.dtype
            )
        except ModelLoadError as err:  # photos can still be answered; shapes get the error
            log.warning("%s", err)
            shapes[fusion] = err
    photo = ctx.get("vqa", "photo-vqa")
    return RoutedVqa(spec, photo, shapes, spec.option("fusion", DEFAULT_FUSION))


SPECS = (
    BackendSpec(
        task="vqa",
        name="routed-vqa",
        load=load,
        label="Shapes model trained here + similarity answers for photos",
        description="our easy-VQA shapes model for shapes images; similarity-based answers "
        "for photos",
        needs=("embed",),
        capabilities=Capabilities(
            fusions=FUSIONS,
            languages=LANGUAGES,  # shapes questions in English only, said so per question
            question_kinds=(("shapes", SHAPES_KINDS), ("photo", PHOTO_KINDS)),
        ),
    ),
)
