"""The Classify tab in both languages: the intro, the labels and template a visitor starts
with, and the examples offered - Chinese only where the embedder reads Chinese labels (an
English-only one refuses them), with the API's defaults kept English."""

from __future__ import annotations

import gradio as gr
import pytest

from mmdemo.core.config import Settings
from mmdemo.core.i18n import has_cjk
from mmdemo.models.backends.zero_shot import parse_labels
from mmdemo.services.access import Access
from mmdemo.services.gallery import Gallery
from mmdemo.services.search import GallerySearch
from mmdemo.serving import ModelServer
from mmdemo.ui import examples
from mmdemo.ui.common import TabContext
from mmdemo.ui.tabs import classify


def built(tmp_path, **settings) -> tuple[TabContext, dict]:
    """The tab built on a server of ``settings`` (no model loads): its context and
    {elem_id: component}."""
    settings = Settings(index_dir=tmp_path / "index", index_default_gallery=False, **settings)
    server = ModelServer(settings)
    gallery = Gallery(server, settings)
    ctx = TabContext(server, gallery, GallerySearch(gallery), Access.from_settings(settings))
    with gr.Blocks() as page:
        classify.build(ctx)
    return ctx, {b.elem_id: b for b in page.blocks.values() if getattr(b, "elem_id", None)}


def rendered(ctx: TabContext, language: str) -> dict:
    """{elem_id: update} of every text the tab composes, as the page renders it."""
    shown = {}
    for view in ctx.views:
        values = view.render(language)
        values = values if len(view.outputs) > 1 else (values,)
        shown.update({out.elem_id: value for out, value in zip(view.outputs, values, strict=True)})
    return shown


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory):
    """tiny: its default embedder is the multilingual open_clip (reads Chinese)."""
    return built(tmp_path_factory.mktemp("tiny"), preset="tiny")


def test_a_chinese_visitor_starts_with_chinese_labels_where_the_model_reads_them(multilingual):
    ctx, components = multilingual
    zh, en = rendered(ctx, "zh"), rendered(ctx, "en")
    assert zh["classify-labels"] == examples.CLASSIFY_LABELS_ZH
    assert zh["classify-template"] == "一张{}的照片。"
    assert en["classify-labels"] == examples.CLASSIFY_LABELS
    assert en["classify-template"] == "a photo of {}."
    assert has_cjk(zh["classify-intro"]["value"]) and "open_clip" in zh["classify-intro"]["value"]
    assert not has_cjk(en["classify-intro"]["value"])
    # one Examples set per language, the visitor's shown
    assert zh["classify-examples-zh"]["visible"] and not zh["classify-examples"]["visible"]
    assert en["classify-examples"]["visible"] and not en["classify-examples-zh"]["visible"]
    zh_rows = components["classify-examples-zh"].samples
    assert zh_rows and all(row[1] == examples.CLASSIFY_LABELS_ZH for row in zh_rows)
    # the built values are the API's defaults: English, whatever the page shows
    assert components["classify-labels"].value == examples.CLASSIFY_LABELS
    assert components["classify-template"].value == "a photo of {}."


def test_an_english_only_embedder_keeps_english_labels_and_says_so_in_chinese(tmp_path):
    ctx, components = built(tmp_path, preset="tiny", backends="embed=openclip-tiny")
    zh = rendered(ctx, "zh")
    assert zh["classify-labels"] == examples.CLASSIFY_LABELS
    assert zh["classify-template"] == "a photo of {}."
    assert "只读英文" in zh["classify-intro"]["value"]
    assert "classify-examples-zh" not in components and "classify-examples-zh" not in zh


def test_the_intro_names_the_model_in_either_language():
    for language in ("en", "zh"):
        for chinese_ok in (True, False):
            assert "MODEL-X" in classify.intro("MODEL-X", language, chinese_ok)
    assert classify.intro("m", "en", True) == classify.intro("m", "en", False)
    assert "只读英文" in classify.intro("m", "zh", False)
    assert "只读英文" not in classify.intro("m", "zh", True)


def test_every_chinese_example_expects_one_of_its_own_labels():
    for preset in ("full", "lite", "tiny"):
        for example in examples.classify_examples(preset):
            assert example.expect in parse_labels(example.labels), example  # as Classify reads
            assert has_cjk(example.labels) == (example.language == "zh"), example
    chinese = examples.classify_examples("full", "zh")
    assert chinese and all(e.language == "zh" for e in chinese)
    assert {e.image for e in chinese} <= {e.image for e in examples.classify_examples("full")}
