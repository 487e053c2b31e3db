"""The Gallery tab's reports and notes in English and Chinese. The English is the wording
``core.results`` prints for the CLI (the API and its tests read it): held together here, so
the page cannot drift from the command line."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mmdemo.core.i18n import has_cjk
from mmdemo.core.results import AddReport, CaptionReport, Duplicate, Unreadable
from mmdemo.services.browse import GalleryPage
from mmdemo.ui.tabs import gallery as tab

REPORT = AddReport(
    added=2,
    duplicates=2,
    unreadable=(Unreadable("broken.jpg", "the file ends before the image does"),),
    total=18,
    duplicate_of=(
        Duplicate("holiday again.png", "my holiday.png", in_upload=True),
        Duplicate("again.png", "Red scarf_1.png"),
    ),
)
CAPTIONS = CaptionReport(
    captioned=3,
    skipped=13,
    failed=[("bad.png", "the file ends before the image does")],
    seconds=4.25,
    model="BLIP base",
    total=16,
    unsure=["fog.jpg"],
)


def test_the_english_add_report_is_the_cli_wording_with_names_escaped():
    shown = tab.report_markdown(REPORT, "en").split("\n")
    assert shown[0] == REPORT.headline() + "."
    assert shown[1:] == [f"- {tab.md_escape(line)}" for line in REPORT.details()]


def test_the_chinese_add_report_keeps_every_number_and_file_name():
    shown = tab.report_markdown(REPORT, "zh")
    assert shown.startswith(
        "已添加 2 张，跳过 2 张重复的、1 张无法读取的；索引里现在有 18 张图片。"
    )
    assert "- holiday again.png 和 my holiday.png 是同一张图片（都在这次上传里）" in shown
    assert "- again.png 已经在图库里了，名为 Red scarf\\_1.png" in shown  # escaped as in English
    assert "- broken.jpg 无法读取：" in shown
    assert "added" not in shown and "duplicate" not in shown and "unreadable" not in shown


def test_a_duplicate_without_a_known_original_is_still_named():
    plain = Duplicate("x.png")
    assert tab.duplicate_sentence(plain, "en") == plain.sentence()
    assert tab.duplicate_sentence(plain, "zh") == "x.png 已经在图库里了"


def test_the_caption_report_is_the_cli_summary_and_reads_chinese():
    english = tab.caption_markdown(CAPTIONS, "en")
    assert english == CAPTIONS.summary().replace("\n", "\n\n")
    chinese = tab.caption_markdown(CAPTIONS, "zh")
    assert chinese.startswith("已生成描述 3 张，跳过 13 张已有描述的，1 张失败，用时 4.2 秒")
    assert "，1 张没有描述（模型没有把握），使用 BLIP base；索引里有 16 张图片" in chinese
    assert "失败：bad.png：" in chinese


def item(thumbnail="t.jpg"):
    return SimpleNamespace(thumbnail=thumbnail)


@pytest.mark.parametrize(
    ("view", "english", "chinese"),
    [
        (GalleryPage((), 1, 1, 0), "The gallery is empty: add images below.", "图库是空的"),
        (
            GalleryPage((item(),), 2, 3, 61),
            "**Page 2 of 3** · 61 images",
            "**第 2 / 3 页** · 共 61",
        ),
        (
            GalleryPage((item(), item(None)), 1, 1, 2),
            "**Page 1 of 1** · 2 images · 1 could not be shown (file missing or unreadable)",
            "1 张无法显示",
        ),
    ],
)
def test_the_pager_note_in_both_languages(view, english, chinese):
    assert tab.page_note(view, "en") == english
    assert chinese in tab.page_note(view, "zh")


def test_a_thumbnail_says_whose_it_is_in_the_visitors_language():
    meta = SimpleNamespace(display_name="cat.png", caption="a cat")
    assert tab.item_label(meta, True, True, "en") == "cat.png — a cat · yours"
    assert tab.item_label(meta, False, True, "zh") == "cat.png — a cat · 共享"
    assert tab.item_label(meta, True, False, "zh") == "cat.png — a cat"


def test_the_intro_says_who_sees_what_in_both_languages():
    def ctx(per_visitor):
        return SimpleNamespace(
            access=SimpleNamespace(per_visitor=per_visitor),
            settings=SimpleNamespace(session_ttl_s=7200),
        )

    assert "Everyone using this server" in tab.who_note(ctx(False), "en")
    visitor = tab.who_note(ctx(True), "zh")
    assert has_cjk(visitor) and "2 小时" in visitor and "管理员密码" in visitor
    assert "deleted after 2 h" in tab.who_note(ctx(True), "en")


def test_a_captioner_that_writes_english_only_is_said_so_in_chinese():
    english_only = CaptionReport(
        captioned=1,
        skipped=0,
        model="BLIP base; writes English only, so the captions are in English",
        total=16,
    )
    assert "BLIP base；只会写英文，所以描述是英文" in tab.caption_markdown(english_only, "zh")
    assert "with BLIP base; writes English only" in tab.caption_markdown(english_only, "en")
