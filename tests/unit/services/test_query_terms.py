"""Query arithmetic (``services.query_terms``): the one-line form, its bounds and refusals,
and the combined search's shapes and behaviour on the tiny preset (random weights).

What the arithmetic *means* (a cat photo minus "a cat" plus "a cup of coffee" finds the
coffee) is checked with the real lite models in test_query_terms_lite.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError
from mmdemo.core.i18n import translate
from mmdemo.services.query_terms import (
    MAX_TERMS,
    Term,
    check_terms,
    format_terms,
    parse_terms,
    search_terms,
)
from mmdemo.services.search import GallerySearch
from mmdemo.serving import ModelServer
from tests.support.galleries import make_gallery, write_photos


# -- the one-line form -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"a dog" + "on the beach" - "people"',
            [Term("text", 1, "a dog"), Term("text", 1, "on the beach"), Term("text", -1, "people")],
        ),
        ("a dog + at night - people", None),  # bare texts read like the quoted ones
        (
            'image + 0.5 * "at night" - #12',
            [Term("image", 1), Term("text", 0.5, "at night"), Term("item", -1, item=12)],
        ),
        (
            "black-and-white photo - 2*cat",
            [Term("text", 1, "black-and-white photo"), Term("text", -2, "cat")],
        ),
        (
            "一只狗 ＋ 在海滩上 － 人",
            [Term("text", 1, "一只狗"), Term("text", 1, "在海滩上"), Term("text", -1, "人")],
        ),
        (
            "“curly” - 'single' + 「角」",
            [Term("text", 1, "curly"), Term("text", -1, "single"), Term("text", 1, "角")],
        ),
        ('- "people" + IMAGE', [Term("text", -1, "people"), Term("image", 1)]),
    ],
)
def test_the_one_line_form_reads_back_what_it_writes(line, expected):
    terms = parse_terms(line)
    if expected is None:
        expected = parse_terms('"a dog" + "at night" - "people"')
    assert terms == expected
    assert parse_terms(format_terms(terms)) == terms


def test_a_text_with_quotes_in_it_is_written_with_other_quotes():
    terms = [Term("text", 1, 'the "best" cat'), Term("text", -0.5, "dog")]
    line = format_terms(terms)
    assert line == '\'the "best" cat\' - 0.5 * "dog"'
    assert parse_terms(line) == terms


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ('"a" + + "b"', "Two signs in a row"),
        ('"a" "b"', r"Put \+ or - between"),
        ('"a" +', "end with a sign"),
        ('"a" - "unclosed - b', "not closed"),
        ("2 *", "no term after it"),
        ({"a": 1}, "must be text"),
    ],
)
def test_unreadable_lines_say_what_to_fix(line, words):
    with pytest.raises(BadInputError, match=words) as caught:
        parse_terms(line)  # type: ignore[arg-type]
    assert translate(str(caught.value), "zh") != str(caught.value)  # it has its Chinese


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('3 * "a"', "between -2 and 2"),
        ('- "people"', "only say what to leave out"),
        ('0 * "a" - 0 * "b"', "weight 0"),
        ("image", "no image was given"),
        (" + ".join(['"x"'] * (MAX_TERMS + 1)), f"at most {MAX_TERMS} terms"),
        ('"a" + "   "', "empty"),
    ],
)
def test_bounds_are_checked_before_any_model_work(line, words):
    with pytest.raises(BadInputError, match=words) as caught:
        check_terms(parse_terms(line))
    assert translate(str(caught.value), "zh") != str(caught.value)


def test_the_image_is_named_once_and_nan_weights_are_refused():
    with pytest.raises(BadInputError, match="more than once"):
        check_terms(parse_terms("image + image"), has_image=True)
    with pytest.raises(BadInputError, match="between -2 and 2"):
        check_terms([Term("text", float("nan"), "a")])
    with pytest.raises(BadInputError, match="must be a number"):
        check_terms([Term("text", "lots", "a")])  # type: ignore[arg-type]
    assert check_terms([Term("text", 1, "  a   cat ")]) == [Term("text", 1.0, "a cat")]


def test_a_long_pasted_line_stops_being_read_past_the_bound():
    terms = parse_terms(" + ".join(['"x"'] * 50_000))  # read up to one term past the bound
    assert len(terms) == MAX_TERMS + 1
    with pytest.raises(BadInputError, match=f"at most {MAX_TERMS} terms"):
        check_terms(terms)


# -- the combined search (tiny: shapes and behaviour) -----------------------------------------
@pytest.fixture(scope="module")
def tiny_search(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("terms")
    gallery = make_gallery(ModelServer(Settings(preset="tiny")), tmp)
    photos = write_photos(tmp / "photos")
    gallery.add_directory(photos)
    return GallerySearch(gallery), photos


def test_one_text_term_is_the_plain_text_search(tiny_search):
    search, _ = tiny_search
    terms, result = search_terms(search, '"a red square"', 4)
    plain = search.text("a red square", 4)
    assert terms == [Term("text", 1.0, "a red square")]
    assert [(h.id, round(h.score, 5)) for h in result.hits] == [
        (h.id, round(h.score, 5)) for h in plain.hits
    ]


def test_the_vector_is_the_renormalised_weighted_sum(tiny_search):
    search, photos = tiny_search
    image = Image.open(photos / "sub1" / "img3.png")
    embedder = search.gallery.embedder
    a, b = embedder.embed_texts(["at night", "people"])
    picture = embedder.embed_images([image])[0]
    expected = picture + 0.5 * a - 1.5 * b
    expected /= np.linalg.norm(expected)
    _, result = search_terms(search, 'image + 0.5 * "at night" - 1.5 * "people"', 3, image=image)
    best = result.hits[0]
    assert best.score == pytest.approx(
        float(search.gallery.index.vector(best.id) @ expected), abs=1e-4
    )
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_an_unnamed_image_is_not_used_and_a_gallery_image_is_left_out(tiny_search):
    search, photos = tiny_search
    image = Image.open(photos / "sub1" / "img3.png")
    terms, result = search_terms(search, '"at night"', 3, image=image)
    assert [t.kind for t in terms] == ["text"]
    assert result.hits == search_terms(search, '"at night"', 3)[1].hits
    item = search_terms(search, "image", 1, image=image)[1].hits[0].id
    terms, again = search_terms(search, f'#{item} + 0.1 * "at night"', 3)
    assert terms[0] == Term("item", 1.0, item=item)
    assert item not in [h.id for h in again.hits] and len(again.hits) == 3
    with pytest.raises(BadInputError, match="no image with id 999999"):
        search_terms(search, '#999999 + "x"', 3)


def test_terms_that_cancel_out_are_refused(tiny_search):
    search, _ = tiny_search
    with pytest.raises(BadInputError, match="cancel each other out"):
        search_terms(search, '"a cat" - "a cat"', 3)


def test_an_english_only_model_refuses_chinese_terms(tmp_path):
    settings = Settings(
        preset="tiny",
        backends="embed=openclip-tiny",
        index_dir=tmp_path / "english-index",
        index_default_gallery=False,
    )
    gallery = make_gallery(ModelServer(settings), tmp_path)
    gallery.add_directory(write_photos(tmp_path / "photos"))
    with pytest.raises(BadInputError, match="openclip-tiny reads English only"):
        search_terms(GallerySearch(gallery), '"a dog" - "人"', 3)


# -- collapsing near-duplicates (services.duplicates through every query kind) ----------------
@pytest.fixture(scope="module")
def copies_search(tmp_path_factory):
    """The six test photos plus a resized, recompressed copy of one (a near-duplicate)."""
    tmp = tmp_path_factory.mktemp("copies")
    photos = write_photos(tmp / "photos")
    original = Image.open(photos / "sub0" / "img0.png").convert("RGB")
    original.resize((original.width * 3 // 4, original.height * 3 // 4)).save(
        photos / "img0_small.jpg", quality=70
    )
    gallery = make_gallery(ModelServer(Settings(preset="tiny")), tmp)
    gallery.add_directory(photos)
    return GallerySearch(gallery), photos


def test_collapse_folds_a_near_duplicate_into_one_hit(copies_search):
    search, photos = copies_search
    image = Image.open(photos / "sub0" / "img0.png")
    plain = search.image(image, 7)
    names = [hit.path.rsplit("/", 1)[-1] for hit in plain.hits]
    # the gallery keeps one of img0.png and its exact copy (same bytes), and the small copy
    assert "img0_small.jpg" in names and {"img0.png", "copy_of_img0.png"} & set(names)
    assert len(names) == 7
    folded = search.image(image, 7, collapse=True)
    assert folded.hits.folded == 1 and len(folded.hits) == 6  # 7 images, one folded
    assert folded.hits[0].folded == 1 and len(folded.hits[0].to_json()["folded_ids"]) == 1
    _, terms = search_terms(search, "image", 2, image=image, collapse=True)
    assert terms.hits.folded == 1 and len(terms.hits) == 2  # the pool refilled past k
    text = search.text("a red square", 7, collapse=True, hybrid=True)
    assert text.hits.folded == 1 and len(text.hits) == 6
    other = folded.hits[1].id
    similar = search.similar(other, 6, collapse=True)
    assert similar.hits.folded == 1 and other not in [h.id for h in similar.hits]
