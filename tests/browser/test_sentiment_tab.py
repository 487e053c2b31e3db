"""The Sentiment tab in a real browser (tiny app): each modality, the chart and the fusion;
early fusion without a trained head is not offered: the page says how to train one."""

from __future__ import annotations

import pytest

from mmdemo.ui import examples
from tests.support.browser import open_tab, screenshot, switch_language

pytestmark = pytest.mark.browser


def test_sentiment_tab_shows_each_modality_and_the_fusion(page, app_server):
    """tiny app: a text + image example, the chart, the pulls; early fusion without a head."""
    open_tab(page, "Sentiment")
    page.locator("#sentiment-examples").get_by_text("Great, another rainy day.").first.click()
    page.locator("#sentiment-image img").first.wait_for(state="visible")
    page.locator("#sentiment-button").click()
    notes = page.locator("#sentiment-notes")
    notes.get_by_text("Fused:").first.wait_for(state="visible")
    text = notes.inner_text()
    assert "Text" in text and "Image" in text and "pulled" in text
    page.locator("#sentiment-chart canvas, #sentiment-chart svg").first.wait_for(state="visible")
    screenshot(page, "tiny_sentiment_late.png")

    # no head trained: early fusion is not a choice; the page says what it needs
    assert "early fusion" not in page.locator("#sentiment-fusion").inner_text()
    needs = page.locator("#sentiment-early-needs")
    assert "train sentiment-fusion" in needs.inner_text()
    page.locator("#sentiment-fusion").get_by_text("Caption bridge").click()
    page.wait_for_function(  # the weight is the late fusion's only
        "() => document.querySelector('#sentiment-weight input[type=range]').disabled"
    )
    screenshot(page, "tiny_sentiment_early_no_head.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


# -- in Chinese (a browser whose language is zh-CN) -------------------------------------
def test_sentiment_tab_in_chinese_then_english(zh_page):
    """zh-CN: the labels, fusion menu, explanation, result, chart and fused label are
    Chinese (the API keeps English); the switch turns the tab English and back."""
    page = zh_page
    open_tab(page, "情感")
    fusion = page.locator("#sentiment-fusion")
    fusion.get_by_text("决策级（晚期融合）").wait_for(state="visible")
    assert "图片描述桥接" in fusion.inner_text() and "Decision" not in fusion.inner_text()
    assert "文本和图片分别打分" in page.locator("#fusion-help").inner_text()
    assert "特征级（早期融合）" in page.locator("#sentiment-early-needs").inner_text()
    assert "分析一段文字" in page.locator("#sentiment-intro").inner_text()
    first = examples.sentiment_examples("tiny", "zh")[0]  # the Chinese rows are offered
    table = page.locator("#sentiment-examples").inner_text()
    assert "决策级（晚期融合）" in table and "Decision" not in table, table  # the fusion column
    page.locator("#sentiment-examples").get_by_text(first.text).first.click()
    page.locator("#sentiment-image img").first.wait_for(state="visible")
    page.get_by_role("button", name="分析").click()
    notes = page.locator("#sentiment-notes")
    notes.get_by_text("融合结果：").first.wait_for(state="visible")
    shown = notes.inner_text()
    assert "文字" in shown and "图片" in shown and "拉" in shown and "随机测试权重" in shown
    assert not [w for w in ("Fused", "pulled", "positive", "negative") if w in shown], shown
    output = page.locator("#sentiment-output").inner_text()
    assert any(word in output for word in ("积极", "中性", "消极")), output
    page.locator("#sentiment-chart canvas, #sentiment-chart svg").first.wait_for(state="visible")
    screenshot(page, "zh_sentiment_late.png")

    fusion.get_by_text("图片描述桥接").click()
    page.locator("#fusion-help").get_by_text("先为图片生成一句描述").wait_for(state="visible")
    switch_language(page, "English")
    fusion.get_by_text("Decision level (late fusion)").wait_for(state="visible")
    page.locator("#sentiment-early-needs").get_by_text("needs a small head").wait_for(
        state="visible"
    )
    page.get_by_role("button", name="Analyse").wait_for(state="visible")
    checked = page.locator("#sentiment-fusion input:checked").get_attribute("value")
    assert checked == "caption"  # the switch keeps the visitor's choice
    screenshot(page, "zh_sentiment_switched_to_english.png")
    switch_language(page, "中文")
    fusion.get_by_text("决策级（晚期融合）").wait_for(state="visible")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"


def test_lite_reads_the_chinese_disagreement_example_in_chinese(offline_zh_page):
    """lite in zh-CN: the first Chinese example (a literal 太好了 on a grey day) reads as the
    examples promise - the text pulls positive, the photo negative, the text wins - and
    every note, the photo's cue note included, is Chinese."""
    page = offline_zh_page
    open_tab(page, "情感")
    first = examples.sentiment_examples("lite", "zh")[0]
    page.locator("#sentiment-examples").get_by_text(first.text).first.click()
    page.locator("#sentiment-image img").first.wait_for(state="visible")
    page.get_by_role("button", name="分析").click()
    notes = page.locator("#sentiment-notes")
    notes.get_by_text("融合结果：积极").first.wait_for(state="visible")
    shown = notes.inner_text()
    assert "文字和图片的情感相反；积极的一方胜出。" in shown, shown
    assert "往积极拉" in shown and "往消极拉" in shown and "开心/悲伤提示词" in shown
    assert not [w for w in ("pull", "Image:", "disagree", "happy/sad prompts pull") if w in shown]
    screenshot(page, "zh_lite_sentiment_disagreement.png")
    assert not page.page_errors, f"uncaught errors in the page: {page.page_errors}"
