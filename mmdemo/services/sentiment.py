"""The one entry point for sentiment: text and/or image, a fusion, a weight -> FusionResult.

The UI tab, the ``/sentiment`` endpoint and ``python -m mmdemo sentiment`` all call
``SentimentFusion(server).analyze(...)`` (through ``services.tasks.sentiment``), so they
cannot disagree. Three fusions:

* ``late`` (decision level): text and image are scored on their own (text model; zero-shot
  happy/sad prompts for the image) and the fused probabilities are their weighted average,
  ``text_weight`` for the text and ``1 - text_weight`` for the image.
* ``caption`` (caption bridge): the active captioner describes the image and the *text*
  model reads "<text>. <caption>" as one input, so the image speaks in words the text model
  knows; each part is also scored alone to show which way it pulled.
* ``early`` (feature level): a small head trained on [image embedding, text embedding]
  decides from both at once; each modality alone is the head with the other zeroed.

Models come from the serving module only (``server.get(task)``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mmdemo.core.errors import BadInputError, MMDemoError, UnknownNameError, browser_message
from mmdemo.core.imaging import load_image
from mmdemo.core.sentiment_results import FusionResult, ModalityScore, polarity, pull_of
from mmdemo.models.shared.sentiment_maths import check_weight, late_fusion, normalise

log = logging.getLogger(__name__)

DEFAULT_FUSION = "late"
DEFAULT_TEXT_WEIGHT = 0.5


@dataclass(frozen=True)
class FusionInfo:
    """A fusion's name (for the API), title and one-line explanation (for the UI)."""

    name: str
    title: str
    explanation: str


FUSIONS: dict[str, FusionInfo] = {
    "late": FusionInfo(
        "late",
        "Decision level (late fusion)",
        "Text and image are scored separately; the result is their weighted average "
        "(the weight is the text's share, the image gets the rest).",
    ),
    "caption": FusionInfo(
        "caption",
        "Caption bridge",
        "The image is captioned, and the text model reads the text and the caption "
        "together, so the image speaks in words.",
    ),
    "early": FusionInfo(
        "early",
        "Feature level (early fusion)",
        "A small head trained on the image and text embeddings side by side decides from "
        "both at once.",
    ),
}


def join_text_and_caption(text: str, caption: str) -> str:
    """ "<text>. <caption>": two sentences, so neither changes how the other one is read
    (a Chinese sentence's own full stop, 。！？, ends it as well)."""
    text = text.rstrip()
    end = "" if text[-1:] in ".!?…。！？" else "."
    return f"{text}{end} {caption.strip()}"


class SentimentFusion:
    """Multimodal sentiment over the serving module's backends (cheap to create per call)."""

    def __init__(self, server):
        self.server = server

    # -- front door ------------------------------------------------------------------------
    def analyze(
        self,
        text: str | None = None,
        image: Image.Image | str | Path | None = None,
        fusion: str = DEFAULT_FUSION,
        text_weight: float = DEFAULT_TEXT_WEIGHT,
    ) -> FusionResult:
        """Sentiment of ``text``, ``image`` or both, combined by ``fusion``.

        ``image`` may be a PIL image or a file path (decoded by the app's safe loader).
        Raises BadInputError when neither is given, for an unknown fusion or a weight
        outside [0, 1], and BadImageError for an unreadable image. ``text_weight`` only
        matters for ``late`` with both inputs.
        """
        if fusion not in FUSIONS:
            raise UnknownNameError("fusion", fusion, FUSIONS)
        try:
            weight = check_weight(text_weight)
        except ValueError:
            raise BadInputError(
                f"The text weight must be a number between 0 and 1, not {text_weight!r}."
            ) from None
        text = _clean_text(text)
        image = self._image(image)
        if text is None and image is None:
            raise BadInputError("Give a text, an image, or both: there is nothing to analyse.")
        run = {"late": self._late, "caption": self._caption, "early": self._early}[fusion]
        return run(text, image, weight)

    # -- the three fusions -----------------------------------------------------------------
    def _late(self, text, image, weight) -> FusionResult:
        modalities, notes, tasks = [], [], []
        text_result = image_result = None
        if text is not None:
            text_result = self.server.get("sentiment").analyze(text)
            tasks.append("sentiment")
        if image is not None:
            image_result = self.server.get("image_sentiment").analyze(image)
            tasks.append("image_sentiment")
        both = text_result is not None and image_result is not None
        if text_result is not None:
            modalities.append(
                _modality(
                    "text", f"{text_result.model} on the text", text_result, weight if both else 1.0
                )
            )
        if image_result is not None:
            modalities.append(
                _modality(
                    "image",
                    f"{image_result.model} on the image",
                    image_result,
                    1.0 - weight if both else 1.0,
                )
            )
        if both:
            fused = late_fusion(modalities[0].values, modalities[1].values, weight)
        else:
            fused = modalities[0].values
            notes.append(_single_note(modalities[0].modality))
        result_notes = _pull_notes(modalities, fused, weighted=both) + notes
        return self._result("late", fused, modalities, result_notes, tasks, weight)

    def _caption(self, text, image, weight) -> FusionResult:
        reader = self.server.get("sentiment")
        tasks = ["sentiment"]
        modalities, notes = [], []
        caption = None
        if image is not None:
            caption = self.server.get("caption").caption(image).caption.strip() or None
            tasks.append("caption")
            if caption is None:
                if text is None:
                    raise BadInputError(
                        "The captioner wrote nothing for this image, so the caption bridge "
                        "has nothing to read; try the late fusion."
                    )
                notes.append("The captioner wrote nothing for this image; the text is alone.")
        inputs = [t for t in (text, caption) if t]
        results = reader.analyze_many(inputs) if inputs else []
        # each result names the model that judged it (a router picks one per language)
        if text is not None:
            modalities.append(_modality("text", f"{results[0].model} on the text", results[0]))
        if caption is not None:
            modalities.append(
                _modality("image", f"{results[-1].model} on the caption “{caption}”", results[-1])
            )
        if text is not None and caption is not None:
            joined = join_text_and_caption(text, caption)
            fused_result = reader.analyze(joined)
            notes.append(f"The text model read: “{_short(joined)}”")
            fused = normalise([s.probability for s in fused_result.probabilities])
            if "note" in fused_result.details:
                notes.append(fused_result.details["note"])
        else:
            fused = modalities[0].values
            if image is None or text is None:
                notes.append(_single_note(modalities[0].modality))
        return self._result(
            "caption", fused, modalities, _pull_notes(modalities, fused) + notes, tasks
        )

    def _early(self, text, image, weight) -> FusionResult:
        head = self._head()
        embedder = self.server.get("embed")
        image_vectors = embedder.embed_images([image]) if image is not None else None
        text_vectors = embedder.embed_texts([text]) if text is not None else None
        fused = normalise(head.predict(image_vectors, text_vectors)[0])
        alone = (  # each modality through the head with the other one zeroed
            ("text", "image", text_vectors, lambda: head.predict(None, text_vectors)),
            ("image", "text", image_vectors, lambda: head.predict(image_vectors, None)),
        )
        modalities = [
            ModalityScore.of(
                name,
                f"the fusion head on the {name} alone ({other} zeroed)",
                normalise(predict()[0]),
                model=head.model_label,
            )
            for name, other, vectors, predict in alone
            if vectors is not None
        ]
        notes = _pull_notes(modalities, fused)
        if len(modalities) == 1:
            notes.append(_single_note(modalities[0].modality))
        meta = head.meta
        trained = f"The head was trained on {meta.get('rows', '?')} examples"
        if meta.get("val_accuracy") is not None:
            trained += f" ({meta['val_accuracy']:.0%} right on {meta.get('val_rows')} held out)"
        notes.append(trained + f" with {meta.get('embedder')}.")
        return self._result("early", fused, modalities, notes, ["sentiment_head"])

    # -- helpers -------------------------------------------------------------------------
    def _head(self):
        """The trained head, reloaded if it was retrained since (a running app sees it)."""
        head = self.server.get("sentiment_head")
        if head.is_stale():
            self.server.unload("sentiment_head")
            head = self.server.get("sentiment_head")
        return head

    def head_status(self) -> str:
        """One sentence for the UI: which head is loaded, or why there is none (no server
        paths: browser users see it)."""
        try:
            head = self._head()
        except MMDemoError as err:
            return browser_message(err)
        meta = head.meta
        return (
            f"The fusion head was trained here on {meta.get('rows')} examples "
            f"(classes: {', '.join(head.classes)})."
        )

    def head_trained(self) -> bool:
        """Whether a head has been trained for early fusion, without loading any model:
        the page offers early fusion only then (else it says how to train one)."""
        from mmdemo.models.backends.fusion_head import default_head_path, sidecar_for

        spec = self.server.spec_for("sentiment_head")
        path = Path(spec.option("path") or default_head_path(self.server.settings))
        return path.is_file() and sidecar_for(path).is_file()

    def _image(self, image):
        if image is None or isinstance(image, Image.Image):
            return image
        if isinstance(image, (str, Path)):
            if not str(image).strip():
                return None
            return load_image(image, max_pixels=self.server.settings.max_image_pixels)
        raise BadInputError(
            f"The image must be a picture or a file path, not {type(image).__name__}."
        )

    def _result(self, fusion, fused, modalities, notes, tasks, weight=None) -> FusionResult:
        random = any(self.server.is_random(task) for task in tasks)
        if random:
            notes = [*notes, "Random test weights (preset tiny): these results are meaningless."]
        return FusionResult.of(
            fusion, fused, modalities, notes, text_weight=weight, random_weights=random
        )


def _clean_text(text) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise BadInputError(f"The text must be a string, not {type(text).__name__}.")
    return text if text.strip() else None


def _modality(name: str, source: str, result, weight: float | None = None) -> ModalityScore:
    probs = normalise([s.probability for s in result.probabilities])
    return ModalityScore.of(
        name, source, probs, model=result.model, weight=weight, details=dict(result.details)
    )


def _single_note(modality: str) -> str:
    other = "image" if modality == "text" else "text"
    return (
        f"Only the {modality} was given: the result is the {modality}'s own (no {other} to fuse)."
    )


def _pull_notes(modalities, fused, weighted: bool = False) -> list[str]:
    """Which way each modality pulled, and whether they disagree."""
    parts = []
    for m in modalities:
        direction = "pulls neither way" if m.pull == "neither" else f"pulls {m.pull}"
        share = f", weight {m.weight:.2f}" if weighted and m.weight is not None else ""
        parts.append(f"The {m.modality} {direction} ({m.polarity:+.2f}{share}).")
    notes = [" ".join(parts)] if parts else []
    pulls = {m.pull for m in modalities} - {"neither"}
    if len(pulls) == 2:
        fused_pull = pull_of(polarity(fused))
        winner = (
            "neither wins: the result is balanced"
            if fused_pull == "neither"
            else f"the {fused_pull} side wins"
        )
        notes.append(f"Text and image disagree; {winner}.")
    for m in modalities:
        if note := m.details.get("note"):
            notes.append(f"{m.modality.capitalize()}: {note}")
    return notes


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
