"""The message catalogue: language tags, whole-template matching, composed messages."""

import pytest

from mmdemo.core import i18n
from mmdemo.core.locales import ZH


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-CN", "zh"),
        ("zh-Hans-CN", "zh"),
        ("zh_TW", "zh"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("fr-FR,en;q=0.5", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_normalise_language(tag, expected):
    assert i18n.normalise_language(tag) == expected


def test_english_is_returned_unchanged():
    message = "Unknown preset 'x'. Valid choices: full, lite."
    assert i18n.translate(message, "en") == message


def test_a_template_translates_with_its_values():
    out = i18n.translate("Unknown preset 'x'. Valid choices: full, lite.", "zh")
    assert out == "未知的预设 'x'。可选：full, lite。"


def test_composed_message_translates_part_by_part():
    message = "cat.png: not an image. Upload a JPEG, PNG, WebP, HEIC, BMP or GIF image."
    out = i18n.translate(message, "zh")
    assert out.startswith("cat.png：")
    assert out.endswith("请上传 JPEG、PNG、WebP、HEIC、BMP 或 GIF 图片。")


def test_a_message_without_entry_stays_english():
    assert i18n.translate("Something new happened.", "zh") == "Something new happened."
    assert not i18n.translated("Something new happened.")


def test_every_entry_keeps_its_placeholders_and_is_chinese():
    i18n._templates()  # raises on a placeholder mismatch
    for english, chinese in ZH.items():
        assert i18n.has_cjk(chinese), english


def test_has_cjk():
    assert i18n.has_cjk("一只猫") and i18n.has_cjk("a cat，") and not i18n.has_cjk("a cat")
