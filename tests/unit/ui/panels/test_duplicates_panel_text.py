"""The near-duplicates section's composed text in both languages: the summary sentence and
the rows of thumbnails (names escaped, the kept copy marked, served through Gradio's file
route), and the Chinese of every refusal the section can show."""

from __future__ import annotations

from mmdemo.core.duplicate_results import DuplicateGroup, DuplicateReport
from mmdemo.core.i18n import has_cjk, translate
from mmdemo.services.duplicates import MAX_ITEMS
from mmdemo.ui.panels.duplicates import MAX_SHOWN_GROUPS, NO_GROUPS_SHOWN, rows_html, summary


def _report(groups, *, calibrated=True) -> DuplicateReport:
    return DuplicateReport(
        groups=tuple(
            DuplicateGroup(
                ids=ids,
                paths=tuple(f"/g/{i}.png" for i in ids),
                names=tuple(f"<b>{i}</b>.png" for i in ids),
                thumbnails=tuple(f"/store/thumbnails/{i}-384.jpg" for i in ids),
            )
            for ids in groups
        ),
        threshold=0.9,
        method="test",
        checked=10,
        calibrated=calibrated,
    )


def test_summary_counts_groups_and_extra_copies_in_either_language():
    report = _report([(1, 2, 3), (7, 8)])
    assert summary(report, "en") == (
        "2 group(s) of near-duplicates among 10 images: 3 extra cop(ies) could go."
    )
    assert summary(report, "zh") == "在 10 张图片中发现 2 组近似重复：可以删除 3 张多余的副本。"
    assert summary(_report([]), "zh") == "在 10 张图片中没有发现近似重复。"
    loose = summary(_report([], calibrated=False), "en")
    assert loose.startswith("No near-duplicates among 10 images.") and "not measured" in loose


def test_rows_show_each_group_with_its_kept_copy_first_and_names_escaped():
    html = rows_html(_report([(1, 2, 3), (7, 8)]), "en")
    assert html.count('class="dup-group"') == 2 and html.count("<figure") == 5
    assert html.count('class="dup-item dup-kept"') == 2  # the first of each group
    assert "&lt;b&gt;2&lt;/b&gt;.png" in html and "<b>2</b>" not in html
    assert 'src="/gradio_api/file=/store/thumbnails/1-384.jpg"' in html
    zh = rows_html(_report([(1, 2)]), "zh")
    assert "第 1 组" in zh and "保留" in zh and "多余副本" in zh
    assert rows_html(_report([]), "en") == ""


def test_only_so_many_rows_are_drawn():
    many = _report([(2 * i, 2 * i + 1) for i in range(MAX_SHOWN_GROUPS + 5)])
    assert rows_html(many, "en").count('class="dup-group"') == MAX_SHOWN_GROUPS
    assert f"The first {MAX_SHOWN_GROUPS} groups are shown." in summary(many, "en")


def test_every_refusal_has_chinese():
    too_many = (
        f"The gallery holds {MAX_ITEMS + 1} images; finding near-duplicates looks at "
        f"{MAX_ITEMS} at most. Remove some images first."
    )
    for message in (too_many, NO_GROUPS_SHOWN):
        assert has_cjk(translate(message, "zh")), message
