"""The 1000 ImageNet classes (names, WordNet synonyms and definitions) and their prompts.

Why shared: the lite label bridge embeds one prompt per class, and the class scorer (label
captions, photo VQA) ranks an image against the same classes with any embedder. Each class
also has its Chinese name (``imagenet_zh.txt``, from Chinese-CLIP's zero-shot list; source
and licence in that file's header), so a caption or a VQA answer can name it in Chinese and
a Chinese question can name a class directly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

PROMPT_STYLES = ("name", "synonyms", "definition")
LANGUAGES = ("en", "zh")
ZH_NAMES_FILE = Path(__file__).with_name("imagenet_zh.txt")
ZH_SEPARATOR = "；"  # between alternative Chinese names of one class


@dataclass(frozen=True)
class ImageNetClass:
    """One ImageNet class: its short name, all WordNet synonyms and WordNet definition, and
    its Chinese names (``name_zh`` the short one, ``synonyms_zh`` all, "；"-separated)."""

    name: str
    synonyms: str
    definition: str
    name_zh: str = ""
    synonyms_zh: str = ""

    def names_zh(self) -> tuple[str, ...]:
        """Every Chinese name of the class (the short one first)."""
        return tuple(n.strip() for n in self.synonyms_zh.split(ZH_SEPARATOR) if n.strip())


@functools.cache
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """The 1000 classes in model output order, from timm's bundled WordNet metadata."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    chinese = chinese_names()
    if len(chinese) != info.num_classes():
        raise ValueError(
            f"{ZH_NAMES_FILE.name} has {len(chinese)} names for {info.num_classes()} classes"
        )
    classes = []
    for index in range(info.num_classes()):
        synonyms = info.index_to_description(index)
        detailed = info.index_to_description(index, detailed=True)
        definition = detailed.split(":", 1)[1].strip() if ":" in detailed else ""
        zh = chinese[index]
        classes.append(
            ImageNetClass(
                synonyms.split(",")[0].strip(),
                synonyms,
                definition,
                zh.split(ZH_SEPARATOR)[0].strip(),
                zh,
            )
        )
    return tuple(classes)


@functools.cache
def chinese_names() -> tuple[str, ...]:
    """The vendored Chinese names, one line per class in model order (``#`` lines skipped)."""
    lines = ZH_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def imagenet_names(language: str = "en") -> tuple[str, ...]:
    """The 1000 short class names in model order, in English or Chinese."""
    if language not in LANGUAGES:
        raise ValueError(f"no ImageNet class names in {language!r}; there are {LANGUAGES}")
    classes = imagenet_classes()
    return tuple(c.name_zh if language == "zh" else c.name for c in classes)


@functools.cache
def _zh_by_english() -> dict[str, str]:
    names: dict[str, list[str]] = {}
    for cls in imagenet_classes():
        found = names.setdefault(cls.name, [])
        if cls.name_zh not in found:
            found.append(cls.name_zh)
    return {english: "或".join(zh) for english, zh in names.items()}


def chinese_name(english: str) -> str:
    """The Chinese short name of the class called ``english`` (the label a classifier gives).

    Two English names stand for two classes each ("crane": the bird and the machine,
    "maillot"); such a name gets both Chinese names ("鹤或起重机"), as ambiguous as the
    English. A name that is no ImageNet class comes back unchanged."""
    return _zh_by_english().get(english, english)


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
