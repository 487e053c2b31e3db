"""How well the photo VQA answers "is there a X?" on the gallery, as markdown.

Why: the yes/no rule (a z-score of X against the 1000 ImageNet class prompts, see
``mmdemo.models.photo_vqa``) was chosen because raw similarity called almost everything a
"yes". This script measures both on 24 objects x 16 photos so the choice can be checked.

    python -m mmdemo.quality.photo_vqa_eval [--preset lite]
"""

from __future__ import annotations

import argparse
import logging
import sys

import numpy as np

from mmdemo.core.config import Settings
from mmdemo.quality.retrieval_eval import gallery_pairs

# Which gallery photos truly show each object (judged by a person looking at them).
TRUTH = {
    "cat": ["chelsea_the_cat.png"],
    "rocket": ["falcon9_rocket_launch.jpg"],
    "cup": ["coffee_cup.png"],
    "flower": ["flower.jpg"],
    "clock": ["wall_clock_motion_blur.png"],
    "tripod": ["cameraman_with_tripod.png"],
    "camera": ["cameraman_with_tripod.png"],
    "temple": ["china_temple.jpg"],
    "coin": ["greek_coins_pompeii.png"],
    "brick wall": ["brick_wall.png"],
    "person": ["astronaut_eileen_collins.png", "cameraman_with_tripod.png"],
    "astronaut": ["astronaut_eileen_collins.png"],
    "tree": ["china_temple.jpg"],
    "galaxy": ["hubble_deep_field.jpg"],
    "cell": ["cell_in_saline_microscopy.png", "immunohistochemistry_tissue.png"],
    "eye": ["retina_fundus.jpg"],
    "grass": ["grass.png", "cameraman_with_tripod.png"],
    "stones": ["gravel.png"],
    "dog": [],
    "car": [],
    "pizza": [],
    "airplane": [],
    "boat": [],
    "book": [],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mmdemo.quality.photo_vqa_eval")
    parser.add_argument("--preset", default="lite")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from mmdemo.serving import ModelServer

    settings = Settings(preset=args.preset, backends="vqa=photo-vqa", index_default_gallery=False)
    photo = ModelServer(settings).get("vqa")
    names, _, images = gallery_pairs()
    image_vectors = photo.embedder.embed_images(images)
    truth, similarity, z_scores, p_yes = [], [], [], []
    for thing, positives in TRUTH.items():
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
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
