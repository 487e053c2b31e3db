"""Query arithmetic means what it says, with the real ``lite`` models over the default gallery
(16 photos): a photo minus what it shows plus something else finds that something else, a
minus term pushes its photos down, and every example the Search tab offers finds its photo.

Loads lite once for the module (~25 s on 2 cores: the classifier, both sentence encoders,
16 photos embedded).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.services.gallery import Gallery
from mmdemo.services.query_terms import search_terms
from mmdemo.services.search import GallerySearch
from mmdemo.serving import ModelServer
from mmdemo.ui.examples.search import terms_examples

GALLERY = Settings().gallery_dir


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    settings = Settings(preset="lite", index_dir=tmp_path_factory.mktemp("lite") / "index")
    gallery = Gallery(ModelServer(settings), settings)
    assert len(gallery.index) == 16  # the default gallery, indexed on first use
    return GallerySearch(gallery)


def names(result) -> list[str]:
    return [Path(hit.path).name for hit in result.hits]


def photo(name: str) -> Image.Image:
    return Image.open(GALLERY / name)


def test_the_cat_photo_minus_cat_plus_coffee_finds_the_coffee(lite):
    _, plain = search_terms(lite, "image", 5, image=photo("chelsea_the_cat.png"))
    assert names(plain)[0] == "chelsea_the_cat.png"
    _, moved = search_terms(
        lite, 'image - "a cat" + "a cup of coffee"', 5, image=photo("chelsea_the_cat.png")
    )
    assert names(moved)[0] == "coffee_cup.png" and moved.good_match


def test_a_gallery_image_as_a_term_is_left_out_and_still_counts(lite):
    cat = next(m.id for m in lite.gallery.index.items() if m.path.endswith("chelsea_the_cat.png"))
    _, result = search_terms(lite, f'#{cat} - "a cat" + "a cup of coffee"', 5)
    assert names(result)[0] == "coffee_cup.png"
    assert "chelsea_the_cat.png" not in names(result)


def test_a_minus_term_pushes_its_photo_down(lite):
    _, plus = search_terms(lite, '"a rocket launching" + "a flower"', 16)
    _, minus = search_terms(lite, '"a rocket launching" - "a flower"', 16)
    assert names(plus).index("flower.jpg") < 3
    assert names(minus).index("flower.jpg") > 8
    assert names(minus)[0] == "falcon9_rocket_launch.jpg"


def test_chinese_terms_read_like_english_ones(lite):
    _, result = search_terms(
        lite, "image - 一只猫 ＋ 一杯咖啡", 5, image=photo("chelsea_the_cat.png")
    )
    assert names(result)[0] == "coffee_cup.png"


@pytest.mark.parametrize("example", terms_examples("lite"), ids=lambda e: f"{e.language}:{e.line}")
def test_every_offered_example_finds_its_photo(lite, example):
    image = Image.open(Settings().assets_dir / example.image) if example.image else None
    _, result = search_terms(lite, example.line, 5, image=image)
    assert names(result)[0] == example.finds, (example.line, names(result))
    assert result.good_match
