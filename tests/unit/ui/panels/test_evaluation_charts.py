"""The Evaluate tab's figures and table from a hand-made report, in English and Chinese:
the numbers drawn are the report's, class names and data sets are translated, the JSON is
not."""

from __future__ import annotations

import pytest

from mmdemo.core.evaluation_results import (
    AccuracyScore,
    EvaluationReport,
    RetrievalScore,
    SentimentScore,
)
from mmdemo.ui.panels import evaluation_charts as charts

REPORT = EvaluationReport(
    "lite",
    "bundled",
    {"embed": "lite-label-bridge", "sentiment": "lite-multilingual"},
    retrieval=(
        RetrievalScore(
            "held-out captions (heldout_captions.json)", "zh", 6, 22, {1: 0.5, 5: 0.75, 10: 1.0}
        ),
    ),
    zero_shot=(AccuracyScore("your CSV", "en", 4, ("cat", "dog"), 0.75, 0.7333),),
    sentiment=(
        SentimentScore(
            "sentiment_zh.tsv (held-out half)",
            "zh",
            5,
            0.6,
            0.5556,
            ("negative", "neutral", "positive"),
            ((2, 0, 0), (1, 0, 0), (0, 1, 1)),
        ),
    ),
)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_figures_draw_the_report_numbers(lang):
    recall = charts.recall_figure(REPORT, lang)
    assert list(recall.data[0].y) == [0.5, 0.75, 1.0] and list(recall.data[0].x) == [
        "R@1",
        "R@5",
        "R@10",
    ]
    scores = charts.scores_figure(REPORT, lang)
    assert [list(bar.x) for bar in scores.data] == [[0.75, 0.6], [0.7333, 0.5556]]
    heat = charts.confusion_figure(REPORT, lang).data[0]
    assert [list(row) for row in heat.z] == [[2, 0, 0], [1, 0, 0], [0, 1, 1]]


def test_chinese_charts_name_classes_and_data_sets_in_chinese():
    heat = charts.confusion_figure(REPORT, "zh").data[0]
    assert list(heat.x) == ["负面", "中性", "正面"] == list(heat.y)
    assert charts.recall_figure(REPORT, "zh").data[0].name == "留出集描述 · 中文 (n=6)"
    headers, rows = charts.table(REPORT, "zh")
    assert headers[:2] == ["任务", "数据集"]
    assert rows[0][:4] == ["检索", "留出集描述（heldout_captions.json）", "中文", 6]
    assert len(rows) == 3 + 2 + 2
    english = charts.confusion_figure(REPORT, "en").data[0]
    assert list(english.x) == ["negative", "neutral", "positive"]
    assert REPORT.to_json()["sentiment"][0]["classes"] == ["negative", "neutral", "positive"]
