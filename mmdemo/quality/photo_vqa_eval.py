"""How well the photo VQA answers "is there a X?" in English and in Chinese, as markdown.

Why: the yes/no rule (a z-score of X against the 1000 ImageNet class prompts, see
``mmdemo.models.backends.photo_vqa``) was chosen because raw similarity called almost
everything a "yes". This script measures both rules on 24 objects x 16 gallery photos (the
split the rule was chosen on), then asks the same questions through the backend's own
answer path in English ("is there a X?") and Chinese ("有没有X？") on the gallery and on
held-out photos (``assets/quality/heldout``, with objects of their own written before any
model answered them), so the two languages can be compared question for question.

    python -m mmdemo.quality.photo_vqa_eval [--preset lite]
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass

import numpy as np

from mmdemo.core.config import PROJECT_ROOT, Settings
from mmdemo.core.imaging import load_image
from mmdemo.quality.retrieval_eval import gallery_pairs

HELDOUT = PROJECT_ROOT / "assets" / "quality" / "heldout"

# Which gallery photos truly show each object (judged by a person looking at them); the
# Chinese word is what a Chinese visitor would type for it. Tuning split: the z-score rule
# and the Chinese word matching were developed on these.
TRUTH = {
    "cat": ("猫", ["chelsea_the_cat.png"]),
    "rocket": ("火箭", ["falcon9_rocket_launch.jpg"]),
    "cup": ("杯子", ["coffee_cup.png"]),
    "flower": ("花", ["flower.jpg"]),
    "clock": ("钟", ["wall_clock_motion_blur.png"]),
    "tripod": ("三脚架", ["cameraman_with_tripod.png"]),
    "camera": ("相机", ["cameraman_with_tripod.png"]),
    "temple": ("寺庙", ["china_temple.jpg"]),
    "coin": ("硬币", ["greek_coins_pompeii.png"]),
    "brick wall": ("砖墙", ["brick_wall.png"]),
    "person": ("人", ["astronaut_eileen_collins.png", "cameraman_with_tripod.png"]),
    "astronaut": ("宇航员", ["astronaut_eileen_collins.png"]),
    "tree": ("树", ["china_temple.jpg"]),
    "galaxy": ("星系", ["hubble_deep_field.jpg"]),
    "cell": ("细胞", ["cell_in_saline_microscopy.png", "immunohistochemistry_tissue.png"]),
    "eye": ("眼睛", ["retina_fundus.jpg"]),
    "grass": ("草", ["grass.png", "cameraman_with_tripod.png"]),
    "stones": ("石头", ["gravel.png"]),
    "dog": ("狗", []),
    "car": ("汽车", []),
    "pizza": ("披萨", []),
    "airplane": ("飞机", []),
    "boat": ("船", []),
    "book": ("书", []),
}
# Held-out split: the 6 photos of assets/quality/heldout, objects written by a person looking
# at them before any model answered a question about them; never used to change a rule.
HELDOUT_TRUTH = {
    "raccoon": ("浣熊", ["raccoon_face.jpg"]),
    "staircase": ("楼梯", ["ascent_stairs.png"]),
    "skyscraper": ("摩天大楼", ["city_skyscrapers_night.jpg"]),
    "flag": ("国旗", ["grace_hopper.jpg"]),
    "glasses": ("眼镜", ["grace_hopper.jpg"]),
    "hat": ("帽子", ["grace_hopper.jpg"]),
    "uniform": ("制服", ["grace_hopper.jpg"]),
    "woman": ("女人", ["grace_hopper.jpg"]),
    "person": (
        "人",
        ["ascent_stairs.png", "grace_hopper.jpg", "luispedro_portrait.jpg"],
    ),
    "backpack": ("背包", ["ascent_stairs.png"]),
    "leaf": ("叶子", ["raccoon_face.jpg"]),
    "cell": ("细胞", ["nuclei_fluorescence.png"]),
    "cat": ("猫", []),
    "dog": ("狗", []),
    "cup": ("杯子", []),
    "car": ("汽车", []),
    "flower": ("花", []),
    "boat": ("船", []),
    "pizza": ("披萨", []),
    "bird": ("鸟", []),
}
YES = {"en": "yes", "zh": "有"}


@dataclass
class Tally:
    """Answers to the yes/no questions of one split in one language."""

    true_yes: int = 0
    false_yes: int = 0
    unanswered: int = 0
    correct: int = 0
    positives: int = 0
    negatives: int = 0

    def add(self, truth: bool, answered: bool, said_yes: bool) -> None:
        self.positives += truth
        self.negatives += not truth
        if not answered:
            self.unanswered += 1
            return
        self.true_yes += truth and said_yes
        self.false_yes += (not truth) and said_yes
        self.correct += truth == said_yes

    @property
    def pairs(self) -> int:
        return self.positives + self.negatives

    def row(self, split: str, language: str) -> str:
        answered = self.pairs - self.unanswered
        on_answered = self.correct / answered if answered else float("nan")
        return (
            f"| {split} | {language} | {self.pairs} | {answered / self.pairs:.0%} | "
            f"{self.correct / self.pairs:.1%} | {on_answered:.1%} | "
            f"{self.true_yes}/{self.positives} | {self.false_yes}/{self.negatives} |"
        )


def remember(embedder) -> None:
    """Embed each image and text once for the whole run (the answers ask about the same
    images and words again and again; the result is the same, only the time is saved)."""
    images: dict[int, np.ndarray] = {}
    texts: dict[tuple[str, ...], np.ndarray] = {}
    embed_images, embed_texts = embedder.embed_images, embedder.embed_texts

    def images_once(batch):
        if len(batch) != 1:
            return embed_images(batch)
        key = id(batch[0])
        if key not in images:
            images[key] = embed_images(batch)
        return images[key]

    def texts_once(batch):
        key = tuple(batch)
        if key not in texts:
            texts[key] = embed_texts(batch)
        return texts[key]

    embedder.embed_images, embedder.embed_texts = images_once, texts_once


def heldout_photos() -> tuple[list[str], list]:
    names = sorted(p.name for p in HELDOUT.iterdir() if p.suffix.lower() in (".png", ".jpg"))
    return names, [load_image(HELDOUT / n, name=n) for n in names]


def ask_both(photo, truth: dict, names: list[str], images: list) -> dict[str, Tally]:
    """Every object of ``truth`` asked about every photo, in English and in Chinese."""
    tallies = {"en": Tally(), "zh": Tally()}
    for english, (chinese, positives) in truth.items():
        questions = {"en": f"is there a {english}?", "zh": f"有没有{chinese}？"}
        for name, image in zip(names, images, strict=True):
            for language, question in questions.items():
                result = photo.answer(image, question)
                said_yes = bool(result.answers) and result.answers[0].label == YES[language]
                tallies[language].add(name in positives, result.answered, said_yes)
    return tallies


def rule_table(photo, names: list[str], images: list) -> list[str]:
    """Raw similarity against the z-score rule, English objects, gallery (tuning split)."""
    image_vectors = photo.embedder.embed_images(images)
    truth, similarity, z_scores, p_yes = [], [], [], []
    for thing, (_, positives) in TRUTH.items():
        query = photo.embedder.embed_texts([f"a photo of a {thing}."])[0]
        for name, image, vector in zip(names, images, image_vectors, strict=True):
            p, z = photo.is_there(image, thing)
            truth.append(name in positives)
            similarity.append(float(vector @ query))
            z_scores.append(z)
            p_yes.append(p)
    truth_a = np.array(truth)
    out = [
        f"{truth_a.sum()} true pairs, {(~truth_a).sum()} false pairs "
        f"({len(TRUTH)} objects x {len(names)} photos).\n",
        "| rule | yes when | true-yes rate | false-yes rate |",
        "|---|---|---|---|",
    ]
    for label, values, cuts in (
        ("raw similarity", np.array(similarity), (0.40, 0.50)),
        ("z-score vs ImageNet prompts", np.array(z_scores), (1.5, 2.0, 2.5)),
    ):
        for cut in cuts:
            yes = values >= cut
            out.append(
                f"| {label} | ≥ {cut} | {yes[truth_a].mean():.2f} | {yes[~truth_a].mean():.3f} |"
            )
    answered_yes = np.array(p_yes) >= 0.5
    accuracy = (answered_yes == truth_a).mean()
    out.append(
        f"\nThe backend's own answer (yes when P(yes) ≥ 0.5) is right on {accuracy:.1%} of the "
        f"pairs; it says yes to {answered_yes[truth_a].mean():.0%} of the true pairs and "
        f"{answered_yes[~truth_a].mean():.1%} of the false ones."
    )
    return out


def language_table(photo, splits: list[tuple[str, dict, list[str], list]]) -> list[str]:
    out = [
        "| split | language | pairs | answered | right (of all) | right (of answered) "
        "| yes on true pairs | yes on false pairs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, truth, names, images in splits:
        for language, tally in ask_both(photo, truth, names, images).items():
            out.append(tally.row(split, {"en": "English", "zh": "中文"}[language]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mmdemo.quality.photo_vqa_eval")
    parser.add_argument("--preset", default="lite")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from mmdemo.serving import ModelServer

    settings = Settings(preset=args.preset, backends="vqa=photo-vqa", index_default_gallery=False)
    photo = ModelServer(settings).get("vqa")
    remember(photo.embedder)
    names, _, images = gallery_pairs()
    out = [f"Model: {photo.model_label}.\n", *rule_table(photo, names, images), ""]
    splits = [("gallery (tuning)", TRUTH, names, images)]
    if HELDOUT.is_dir():
        held_names, held_images = heldout_photos()
        splits.append(("held-out", HELDOUT_TRUTH, held_names, held_images))
    out += language_table(photo, splits)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
