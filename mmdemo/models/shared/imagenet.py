"""The 1000 ImageNet classes (names, WordNet synonyms and definitions) and their prompts.

Why shared: the lite label bridge embeds one prompt per class, and the class scorer (label
captions, photo VQA) ranks an image against the same classes with any embedder.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

PROMPT_STYLES = ("name", "synonyms", "definition")


@dataclass(frozen=True)
class ImageNetClass:
    """One ImageNet class: its short name, all WordNet synonyms and WordNet definition."""

    name: str
    synonyms: str
    definition: str


@functools.cache
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """The 1000 classes in model output order, from timm's bundled WordNet metadata."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    classes = []
    for index in range(info.num_classes()):
        synonyms = info.index_to_description(index)
        detailed = info.index_to_description(index, detailed=True)
        definition = detailed.split(":", 1)[1].strip() if ":" in detailed else ""
        classes.append(ImageNetClass(synonyms.split(",")[0].strip(), synonyms, definition))
    return tuple(classes)


def class_prompt(cls: ImageNetClass, style: str = "name") -> str:
    """The sentence standing for a class in text space (styles compared in docs/quality.md).

    ``name`` is CLIP's standard "a photo of a {class}." recipe; the label bridge measured
    best with ``definition``.
    """
    if style == "name":
        return f"a photo of a {cls.name}."
    if style == "synonyms":
        return f"a photo of a {cls.synonyms}."
    return f"a photo of a {cls.synonyms}: {cls.definition}"  # "definition"
