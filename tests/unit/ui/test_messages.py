"""Messages a browser user reads: plain text, no server paths, the page's remedy rather than
a command - while ``str(err)`` (the CLI's and the log's wording) keeps paths and commands.

Also the first screen's own wording: the lines shown before any fold is opened name no
environment variable, command, repo id or path.
"""

from __future__ import annotations

import json
import logging
import re

import gradio as gr
import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import (
    BadInputError,
    IndexCorruptError,
    IndexMismatchError,
    ModelLoadError,
    browser_message,
    for_browser,
)
from mmdemo.services.search import NO_CAPTIONS, NO_CAPTIONS_UI
from mmdemo.serving import ModelServer
from mmdemo.ui import page, status
from mmdemo.ui.common import friendly
from mmdemo.ui.i18n import text
from tests.support.galleries import make_gallery
from tests.support.images import write_test_image

DEVELOPER = re.compile(r"MMDEMO_|HF_HOME|python -m|app\.py|Salesforce/|laion2b|`|/srv/|/home/")


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("**No good match** for `a cat`.", "No good match for a cat."),
        ("Use *Re-embed* under *Gallery & status*.", "Use Re-embed under Gallery & status."),
        ("See [the docs](https://example.com/a/b).", "See the docs."),
        ("# Title\n> quoted", "Title\nquoted"),
        ("looked for /srv/app/index/sentiment_fusion/head.pt", "looked for head.pt"),
        ("'/etc/passwd' is not a file uploaded to this app", "'passwd' is not a file uploaded"),
        ("copy C:\\Users\\me\\cache\\model.bin here", "copy model.bin here"),
        ("The index in /srv/app/index/ was built", "The index in index was built"),
        ("retrain with --preset <the app's preset>", "retrain with --preset \u2039the app's"),
        ("labels '<b>cat</b>' and 3 < 4", "labels '\u2039b\u203acat\u2039/b\u203a' and 3 < 4"),
    ],
)
def test_for_browser_drops_markup_and_server_paths(message, shown):
    assert for_browser(message).startswith(shown)


@pytest.mark.parametrize(
    "kept",
    [
        "Input 1 (upload) of /classify must be an uploaded file",  # an endpoint, not a path
        "/gradio_api/info lists each endpoint's inputs",  # the app's own HTTP API
        "https://huggingface.co/Salesforce/blip-vqa-base",  # a URL stays whole
        "a cat and/or a dog, 3*4 = 12, 1/2 of it",
        "../../etc/passwd is not an image",  # the caller's own relative name
        "open_clip:ViT-B-32/laion2b_s34b_b79k",  # a model id
    ],
)
def test_for_browser_leaves_plain_text_alone(kept):
    assert for_browser(kept) == kept


def test_an_index_error_keeps_path_and_command_for_the_cli_only():
    mismatch = IndexMismatchError("/srv/app/index", "model-a (512-d)", "model-b (384-d)")
    assert "/srv/app/index" in str(mismatch) and "python -m mmdemo index" in str(mismatch)
    shown = browser_message(mismatch)
    assert "model-a (512-d)" in shown and "model-b (384-d)" in shown
    assert "Gallery tab" in shown
    assert not DEVELOPER.search(shown) and "/srv" not in shown and "--" not in shown
    corrupt = IndexCorruptError("/srv/app/index", "ids.npy is truncated")
    assert "python -m mmdemo" in str(corrupt)
    assert browser_message(corrupt).startswith("The gallery's index cannot be read: ids.npy")


def test_no_captions_names_the_command_on_the_cli_and_the_tab_on_the_page():
    err = BadInputError(NO_CAPTIONS, ui=NO_CAPTIONS_UI)
    assert "python -m mmdemo caption-gallery" in str(err)
    assert browser_message(err) == NO_CAPTIONS_UI and "Gallery tab" in NO_CAPTIONS_UI
    assert not DEVELOPER.search(NO_CAPTIONS_UI)


def test_an_error_without_a_ui_wording_is_shown_cleaned():
    err = ModelLoadError("BLIP", "the weights file /srv/w/blip.bin is unreadable", "Fix `it`.")
    assert (
        browser_message(err) == "Could not load model BLIP: the weights file blip.bin is "
        "unreadable. Fix it."
    )


def _raises(err: BaseException):
    @friendly
    def handler():
        raise err

    return handler


def test_friendly_shows_the_browser_wording_and_logs_the_full_one(caplog):
    err = ModelLoadError(
        "BLIP", "no weights in /srv/cache/blip", "Run `python -m mmdemo download`."
    )
    with caplog.at_level(logging.WARNING), pytest.raises(gr.Error) as caught:
        _raises(err)()
    assert caught.value.message == (
        "Could not load model BLIP: no weights in blip. Run python -m mmdemo download."
    )
    assert "/srv/cache/blip" in caplog.text  # the owner finds the full wording in the log


def test_friendly_cleans_a_gradio_error_raised_by_a_handler():
    with pytest.raises(gr.Error) as caught:
        _raises(gr.Error("**Bad** `value` in /srv/app/x.png"))()
    assert caught.value.message == "Bad value in x.png"


def test_friendly_words_an_unexpected_error_without_its_details(caplog):
    with caplog.at_level(logging.ERROR), pytest.raises(gr.Error) as caught:
        _raises(RuntimeError("secret /srv/app/internal state"))()
    assert caught.value.message == text("error.unexpected", "en", kind="RuntimeError")
    assert "secret" in caplog.text  # logged with its traceback, never shown


def _outside_folds(markdown: str) -> str:
    return re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_first_screen_hides_developer_detail_in_folds(lang):
    """What shows before a fold is opened: plain words only, in either language."""
    visible = [
        text("page.header", lang),
        text("page.overview", lang),
        text("banner.tiny", lang),
        text("banner.full", lang),
        text("banner.lite", lang, why=text("banner.lite_why_auto", lang)),
        text("banner.mismatch", lang),
        text("banner.load_failed", lang),
        text("banner.loading", lang, seconds=3),
    ]
    for shown in visible:
        assert not DEVELOPER.search(_outside_folds(shown).replace("**", "")), shown
    assert "python -m mmdemo download --preset full" in text("banner.lite_details", lang)
    assert "MMDEMO_PRESET=lite" in text("banner.tiny_details", lang)
    assert "meaningless" in text("banner.tiny", "en") and "没有意义" in text("banner.tiny", "zh")
    how, how_zh = text("page.how_it_works", "en"), text("page.how_it_works", "zh")
    assert "Feature level" in how and "Decision level" in how
    assert "特征级" in how_zh and "决策级" in how_zh
    assert page.TITLE  # the page module registered these strings


def test_a_fold_renders_its_markdown():
    """A blank line after <summary>: the markdown inside a <details> block is still parsed."""
    folded = status.fold("Why", "**bold**")
    assert folded.startswith("<details><summary>Why</summary>\n\n**bold**\n\n</details>")


# -- the banner, per preset and with a gallery built by another model -------------------------
@pytest.mark.parametrize(
    ("preset", "line", "in_fold"),
    [
        ("tiny", "Test models (preset tiny)", "MMDEMO_PRESET=lite python app.py"),
        ("lite", "Offline models (preset lite)", "python -m mmdemo download --preset full"),
        ("full", "Full models", "open_clip XLM-R base + ViT-B-32 (LAION-5B, multilingual)"),
    ],
)
def test_each_preset_gets_its_plain_line_and_its_details_folded(preset, line, in_fold):
    """Built from the server's own choice and specs; no model is loaded for it."""
    server = ModelServer(Settings(preset=preset))
    note = status.preset_note(server)
    shown = _outside_folds(note)
    assert line in shown and not DEVELOPER.search(shown.replace("**", "")), shown
    assert in_fold in note and in_fold not in shown
    assert ("meaningless" in shown) == (preset == "tiny")
    if preset == "lite":  # started with lite on purpose: not "cannot be reached"
        assert text("banner.lite_why_set", "en") in shown


def test_a_gallery_from_another_model_is_flagged_without_its_path(tmp_path):
    server = ModelServer(Settings(preset="tiny"))
    gallery = make_gallery(server, tmp_path)
    write_test_image(tmp_path / "photos" / "one.png")
    gallery.add_directory(tmp_path / "photos")
    gallery.index.save(tmp_path / "index")
    manifest = tmp_path / "index" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["model_id"] = "open_clip:some-other-model/tag"
    manifest.write_text(json.dumps(data))
    banner = status.banner_text(server, make_gallery(server, tmp_path))
    assert text("banner.mismatch", "en") in banner
    assert "some-other-model" in banner  # the details name both models...
    assert str(tmp_path) not in banner and "python -m" not in banner  # ...not the folder


def test_the_early_fusion_note_names_the_command_but_not_the_server_path(tmp_path):
    """Shown under the Sentiment tab's fusion menu: the owner's one command, no path."""
    from mmdemo.services.sentiment import SentimentFusion

    settings = Settings(preset="tiny", index_dir=tmp_path / "index", index_default_gallery=False)
    note = SentimentFusion(ModelServer(settings)).head_status()
    assert "python -m mmdemo train sentiment-fusion" in note and "head.pt" in note
    assert str(tmp_path) not in note and "`" not in note
