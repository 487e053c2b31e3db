"""The Search tab's wording in both languages: the results message composed from a result
(checked against the service's own English for every verdict ``judge`` gives), hit labels,
the image -> text headers, and the example chips per language."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mmdemo.core.i18n import has_cjk
from mmdemo.core.results import SearchHit
from mmdemo.services.hybrid import HYBRID_WORD_WEIGHT
from mmdemo.services.search import judge
from mmdemo.ui import examples
from mmdemo.ui.tabs.search import (
    CAPTION_HEADERS,
    caption_headers,
    hit_label,
    result_message,
    result_outputs,
)

POSSIBLE, STRONG = 0.40, 0.60


def hits(*scores: float) -> tuple[SearchHit, ...]:
    return tuple(SearchHit(i, s, f"/g/photo_{i}.jpg") for i, s in enumerate(scores))


# every branch of services.search.judge: (hits, threshold, strong, min_score, empty index)
VERDICTS = {
    "strong-and-possible": (hits(0.7, 0.65, 0.5), POSSIBLE, STRONG, None, False),
    "one-of-each": (hits(0.7, 0.5, 0.3), POSSIBLE, STRONG, None, False),
    "only-weak": (hits(0.3, 0.2), POSSIBLE, STRONG, None, False),
    "some-hidden": (hits(0.7, 0.5, 0.3, 0.2), POSSIBLE, STRONG, 0.45, False),
    "all-hidden-good": (hits(0.5, 0.3), POSSIBLE, STRONG, 0.9, False),
    "all-hidden-bad": (hits(0.3, 0.2), POSSIBLE, STRONG, 0.9, False),
    "no-levels": (hits(0.31, 0.2), None, None, None, False),
    "no-levels-all-hidden": (hits(0.31, 0.2), None, None, 0.5, False),
    "no-levels-some-hidden": (hits(0.31, 0.2), None, None, 0.25, False),
    "empty-index": ((), POSSIBLE, STRONG, None, True),
}
ENGLISH_WORD = re.compile(r"\b(?!photo_)[A-Za-z]{3,}\b")


def verdict(name: str):
    found, threshold, strong, min_score, empty = VERDICTS[name]
    return judge(found, threshold, empty_index=empty, strong=strong, min_score=min_score)


@pytest.mark.parametrize("name", list(VERDICTS))
def test_the_message_is_the_services_english_and_reads_chinese(name):
    result = verdict(name)
    assert result_message(result, "en") == result.message
    chinese = result_message(result, "zh")
    assert has_cjk(chinese) and not ENGLISH_WORD.search(chinese), chinese
    for number in re.findall(r"\d+(?:\.\d+)?", result.message):
        assert number in chinese, (number, chinese)  # the counts and scores survive


def test_the_chinese_message_counts_strengths_and_hidden_results():
    assert (
        result_message(verdict("one-of-each"), "zh")
        == "共 3 个结果：1 个强匹配，1 个可能匹配，1 个弱匹配。"
    )
    hidden = result_message(verdict("some-hidden"), "zh")
    assert (
        hidden
        == "共 2 个结果：1 个强匹配，1 个可能匹配。另有 2 个较弱的结果低于最低匹配分数，没有显示。"
    )
    assert "最接近的是可能匹配" in result_message(verdict("all-hidden-good"), "zh")
    assert result_message(verdict("all-hidden-bad"), "zh").startswith("没有好的匹配")


def test_more_like_this_and_the_hybrid_notes_are_worded_too():
    base = verdict("strong-and-possible")
    similar = dataclasses.replace(base, message=f"More like cat.png: {base.message}")
    assert result_message(similar, "en", similar_to="cat.png") == similar.message
    assert result_message(similar, "zh", similar_to="cat.png").startswith("与 cat.png 相似：共 3")
    note = f" Hybrid: +{HYBRID_WORD_WEIGHT} × the share of query words in the caption."
    hybrid = dataclasses.replace(base, message=base.message + note)
    assert result_message(hybrid, "en") == hybrid.message
    chinese = result_message(hybrid, "zh")
    assert chinese.endswith(f"混合搜索：加上 {HYBRID_WORD_WEIGHT} × 搜索词在图片描述中所占的比例。")
    bare = dataclasses.replace(
        base, message=base.message + " No image has a caption yet, so caption words did not count."
    )
    assert not ENGLISH_WORD.search(result_message(bare, "zh"))


def test_a_message_worded_another_way_is_shown_through_the_catalogue_not_recomposed():
    odd = dataclasses.replace(verdict("one-of-each"), message="Something the page does not know.")
    assert result_message(odd, "zh") == "Something the page does not know."  # not a wrong sentence
    assert result_message(odd, "en") == odd.message


def test_hit_labels_and_the_weak_result_is_bold_in_either_language():
    strong = dataclasses.replace(hits(0.7)[0], strength="strong", caption="a cat on a sofa")
    assert hit_label(strong, "en") == "strong match · a cat on a sofa"
    assert hit_label(strong, "zh") == "强匹配 · a cat on a sofa"
    assert hit_label(hits(0.3125)[0], "zh") == "0.312 · photo_0.jpg"  # no levels: the score
    items, message, raw, ids = result_outputs(verdict("only-weak"), "zh")
    assert message.startswith("**没有好的匹配") and message.endswith("**")
    assert [item[1] for item in items] == ["弱匹配 · photo_0.jpg", "弱匹配 · photo_1.jpg"]
    assert raw[0]["strength"] == "weak" and ids == [0, 1]  # the JSON keeps English values


def test_caption_headers_are_english_for_the_api_and_chinese_on_a_chinese_page():
    assert caption_headers("en") == CAPTION_HEADERS
    assert caption_headers("zh") == ["描述", "分数", "编号", "图片"]
    assert caption_headers() == CAPTION_HEADERS  # outside a request (the API): English


@pytest.mark.parametrize("preset", ["full", "tiny", "lite"])
def test_each_language_gets_its_own_chips(preset):
    english = examples.search_queries(preset, "en")
    chinese = examples.search_queries(preset, "zh")
    assert english and not any(has_cjk(q) for q in english)
    offered = examples.search_examples(preset, "zh")
    if offered:  # the preset's model reads Chinese: Chinese chips only
        assert chinese == [e.query for e in offered] and all(has_cjk(q) for q in chinese)
    else:  # it does not: the English ones, rather than chips that would find nothing
        assert chinese == english
    every = examples.search_examples(preset)
    assert set(every) == set(examples.search_examples(preset, "en")) | set(offered)


def test_every_preset_offers_chinese_chips_for_the_same_photos():
    """Each preset's embedder reads Chinese (full/tiny: XLM-R; lite: its bilingual bridge)."""
    for preset in ("full", "tiny", "lite"):
        found = {e.finds for e in examples.search_examples(preset, "zh")}
        assert {"coffee_cup.png", "chelsea_the_cat.png"} <= found
        assert found <= {e.finds for e in examples.search_examples(preset, "en")}
