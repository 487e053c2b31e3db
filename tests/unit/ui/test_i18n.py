"""The page's language machinery: registered strings, the request's language, the tables
Gradio's frontend gets."""

from __future__ import annotations

import pytest

from mmdemo.ui import i18n
from mmdemo.ui.i18n import COOKIE, build_i18n, localised, register, request_language, t, text


class FakeRequest:
    def __init__(self, cookies=None, headers=None):
        self.cookies = cookies or {}
        self.headers = headers or {}


@pytest.fixture(autouse=True)
def page_strings():
    from mmdemo.ui.page import discover_tabs

    discover_tabs()  # imports every tab: each registers its strings, as the page does


def test_text_renders_either_language_with_values():
    register({"test.count": ("{n} photos found.", "找到 {n} 张照片。")})
    assert text("test.count", "en", n=3) == "3 photos found."
    assert text("test.count", "zh", n=3) == "找到 3 张照片。"
    assert text("test.count", "zh-TW", n=1) == "找到 1 张照片。"  # any Chinese tag


def test_an_unknown_key_fails_when_the_page_is_built():
    with pytest.raises(KeyError, match="not registered"):
        t("no.such.key")
    with pytest.raises(KeyError):
        text("no.such.key", "en")


def test_registration_checks_placeholders_and_conflicts():
    with pytest.raises(ValueError, match="placeholders"):
        register({"test.bad": ("{n} photos", "照片")})
    register({"test.same": ("Same", "相同")})
    register({"test.same": ("Same", "相同")})  # a module imported twice is fine
    with pytest.raises(ValueError, match="twice"):
        register({"test.same": ("Other", "其他")})


def test_every_string_has_both_languages_and_chinese_reads_chinese():
    from mmdemo.core.i18n import has_cjk

    assert len(i18n.registered_keys()) > 40
    for key in i18n.registered_keys():
        english, chinese = text(key, "en"), text(key, "zh")
        assert english.strip() and chinese.strip(), key
        if has_cjk(english):  # the switch's own "中文" choice, say
            continue
        if any(ch.isalpha() for ch in english) and not key.startswith("test."):
            assert has_cjk(chinese), f"{key}: {chinese!r} has no Chinese"


def test_the_request_language_is_the_cookie_then_accept_language_then_english():
    assert request_language(FakeRequest({COOKIE: "zh"}, {"accept-language": "en-US"})) == "zh"
    assert request_language(FakeRequest({COOKIE: "en"}, {"accept-language": "zh-CN"})) == "en"
    assert request_language(FakeRequest({COOKIE: "fr"}, {"accept-language": "zh-CN,zh"})) == "zh"
    assert request_language(FakeRequest({}, {"accept-language": "de-DE,en;q=0.5"})) == "en"
    assert request_language(FakeRequest()) == "en"  # gradio_client, curl: English
    assert request_language(None) == "en"  # outside any event


def test_package_messages_are_localised_in_the_request_language():
    message = "The model openclip-tiny reads English only, and this search text is mostly in another script: its result would mean nothing. Write the search text in English."  # noqa: E501
    assert localised(message, "en") == message
    assert "英文" in localised(message, "zh")


def test_the_frontend_tables_keep_text_as_written_and_cover_both_chinese_locales():
    register({"test.template": ("Prompt template ({} is the label)", "提示模板（{} 代表标签）")})
    tables = build_i18n().translations_dict
    assert set(tables) == {"en", "zh-CN", "zh-TW"}
    assert tables["en"]["test.template"] == "Prompt template ({} is the label)"
    assert tables["zh-CN"]["tab.search"] == "搜索" and tables["en"]["tab.search"] == "Search"
    assert tables["zh-TW"] == tables["zh-CN"]


def test_a_key_is_read_back_from_its_marker_string():
    from mmdemo.ui.i18n import i18n_key

    assert i18n_key(t("tab.search")) == "tab.search"
    assert i18n_key(str(t("tab.search"))) == "tab.search"  # what gr.Examples copies
    assert i18n_key("Search") is None and i18n_key(None) is None
    assert i18n_key('__i18n__{"key": "no.such.key"}') is None


def test_an_update_carrying_keys_is_rendered_so_the_http_api_can_serialise_it():
    """gr.Dataset(components=...) as an update holds its components' I18nData labels; the
    HTTP API json.dumps an update as it is, so the page renders them first."""
    import json

    import gradio as gr

    from mmdemo.ui.i18n import resolved

    update = gr.Dataset(components=[gr.Textbox(label=t("tab.search"))], samples=[["一只猫"]])
    shown = resolved([t("tab.classify"), {"x": t("tab.search")}, update], "zh")
    assert shown[0] == "分类" and shown[1] == {"x": "搜索"}
    assert "__i18n__" not in json.dumps(shown[2].constructor_args, default=str)
    assert shown[2].component_props[0]["label"] == "搜索"
