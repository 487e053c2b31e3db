"""The Evaluate tab in a real browser (tiny app): the example CSV run draws its charts and
table; in zh-CN the tab, buttons, charts (class names too) and a bad CSV's message are
Chinese; at 390 px the charts fit the phone. Screenshots in artifacts/browser/evaluate_*."""

from __future__ import annotations

import pytest

from mmdemo.core.config import PROJECT_ROOT
from tests.support.browser import open_tab, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PLOTS = ("#evaluate-recall", "#evaluate-scores", "#evaluate-confusion")


def run_example(page) -> None:
    page.locator("#evaluate-example").click()
    for plot in PLOTS:
        page.locator(f"{plot} .js-plotly-plot").first.wait_for(state="visible")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_example_draws_charts_and_a_table(page, width):
    if width == 390:
        page.set_viewport_size(PHONE)
    open_tab(page, "Evaluate")
    assert "caption → image recall@1/5/10" in page.locator("#evaluate-intro").inner_text()
    run_example(page)
    summary = page.locator("#evaluate-summary").inner_text()
    assert "Your CSV" in summary and "Random test weights" in summary
    confusion = page.locator("#evaluate-confusion").inner_text()
    assert "negative" in confusion and "predicted" in confusion
    table = page.locator("#evaluate-table").inner_text()
    assert "R@10" in table and "your CSV" in table
    if width == 390:  # each chart stays inside the phone's width
        for plot in PLOTS:
            box = page.locator(f"{plot} .js-plotly-plot").first.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, (plot, box)
    screenshot(page, f"evaluate_example_{'phone' if width == 390 else 'desktop'}.png")
    page.locator("#evaluate-bundled-button").click()
    page.locator("#evaluate-summary").get_by_text("Bundled sets").first.wait_for()
    assert "sentiment_zh.tsv" in page.locator("#evaluate-confusion").inner_text()
    screenshot(page, f"evaluate_bundled_{'phone' if width == 390 else 'desktop'}.png")
    assert not page.page_errors, page.page_errors


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_tab_in_chinese_with_a_bad_csv(zh_page, width, tmp_path):
    page = zh_page
    if width == 390:
        page.set_viewport_size(PHONE)
    open_tab(page, "评测")
    page.locator("#evaluate-intro").get_by_text("现场评测", exact=False).wait_for()
    page.get_by_role("button", name="用内置数据集评测").wait_for()
    run_example(page)
    assert "你的 CSV" in page.locator("#evaluate-summary").inner_text()
    confusion = page.locator("#evaluate-confusion").inner_text()
    assert "负面" in confusion and "预测" in confusion and "negative" not in confusion
    assert "宏平均 F1" in page.locator("#evaluate-scores").inner_text()
    screenshot(page, f"evaluate_zh_{'phone' if width == 390 else 'desktop'}.png")

    bad = tmp_path / "bad.csv"
    bad.write_text("image,text,label\ncat.png,a cat,\n,fine,meh\n")
    page.locator("#evaluate-csv input[type=file]").set_input_files(str(bad))
    cat = PROJECT_ROOT / "assets" / "gallery" / "chelsea_the_cat.png"
    page.locator("#evaluate-images input[type=file]").set_input_files(str(cat))
    page.locator("#evaluate-images").get_by_text("chelsea_the_cat.png").first.wait_for()
    page.get_by_role("button", name="用我的 CSV 评测").click()
    toast = page.get_by_text("这个 CSV 有 2 行有问题").first
    toast.wait_for()
    page.get_by_text("第 2 行，image 列").first.wait_for()
    page.locator("#evaluate-summary").get_by_text("没有结果").wait_for()  # the old one cleared
    screenshot(page, f"evaluate_zh_bad_csv_{'phone' if width == 390 else 'desktop'}.png")
    assert not page.page_errors, page.page_errors
