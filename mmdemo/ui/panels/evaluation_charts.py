"""The Evaluate tab's pictures: recall@k bars, accuracy / macro-F1 bars, the sentiment
confusion matrices as heatmaps, and one table of every number.

Why a panel of its own: the figures are composed from an ``EvaluationReport`` in the
visitor's language (axis titles, data set names, class names), while the report's JSON keeps
its English keys for the API; keeping the drawing here leaves the tab file layout and events.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mmdemo.core.evaluation_results import EvaluationReport
from mmdemo.ui.i18n import localised, register, text

register(
    {
        "evaluate.chart.recall_title": ("Caption → image recall@k", "文字 → 图片 召回率@k"),
        "evaluate.chart.recall_y": (
            "texts with their image in the top k",
            "自己的图片进前 k 名的文字比例",
        ),
        "evaluate.chart.scores_title": ("Accuracy and macro-F1", "准确率和宏平均 F1"),
        "evaluate.chart.confusion_title": (
            "Sentiment confusion matrix",
            "情感混淆矩阵",
        ),
        "evaluate.chart.true": ("true", "真实"),
        "evaluate.chart.predicted": ("predicted", "预测"),
        "evaluate.chart.empty": ("Nothing measured yet", "还没有评测结果"),
        "evaluate.metric.accuracy": ("accuracy", "准确率"),
        "evaluate.metric.recall": ("R@{k} among {images} images", "R@{k}（在 {images} 张图片中）"),
        "evaluate.metric.macro_f1": ("macro-F1", "宏平均 F1"),
        "evaluate.task.retrieval": ("retrieval", "检索"),
        "evaluate.task.zero_shot": ("zero-shot", "零样本分类"),
        "evaluate.task.sentiment": ("sentiment", "情感"),
        "evaluate.language.en": ("English", "英文"),
        "evaluate.language.zh": ("Chinese", "中文"),
        "evaluate.language.mixed": ("mixed", "混合"),
        "evaluate.class.negative": ("negative", "负面"),
        "evaluate.class.neutral": ("neutral", "中性"),
        "evaluate.class.positive": ("positive", "正面"),
        "evaluate.table.task": ("task", "任务"),
        "evaluate.table.dataset": ("data set", "数据集"),
        "evaluate.table.language": ("language", "语言"),
        "evaluate.table.n": ("n", "数量"),
        "evaluate.table.metric": ("metric", "指标"),
        "evaluate.table.value": ("value", "数值"),
    }
)
TABLE_KEYS = ("task", "dataset", "language", "n", "metric", "value")
COLOURS = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2")


def _layout(figure: go.Figure, title: str, height: int = 340) -> go.Figure:
    """Small margins and the legend under the plot, so a 390 px phone shows the bars."""
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 40, "r": 10, "t": 60, "b": 10},
        showlegend=True,
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        template="plotly_white",
    )
    return figure


def short_name(dataset: str, lang: str) -> str:
    """A data set's name without its parenthesis (the table and JSON keep the whole), so a
    chart's labels fit a phone: "held-out captions (heldout_captions.json)" -> 留出集描述."""
    return localised(dataset, lang).split(" (")[0].split("（")[0]


def _series_name(dataset: str, language: str, lang: str) -> str:
    return f"{short_name(dataset, lang)} · {text(f'evaluate.language.{language}', lang)}"


def class_name(label: str, lang: str) -> str:
    key = f"evaluate.class.{label}"
    return text(key, lang) if label in ("negative", "neutral", "positive") else label


def empty_figure(lang: str | None = None) -> go.Figure:
    """A blank chart (no axes) saying nothing was measured: after a failed run."""
    figure = _layout(go.Figure(), text("evaluate.chart.empty", lang), height=120)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def recall_figure(report: EvaluationReport, lang: str) -> go.Figure:
    figure = go.Figure()
    for i, score in enumerate(report.retrieval):
        ks = sorted(score.recall)
        figure.add_bar(
            x=[f"R@{k}" for k in ks],
            y=[score.recall[k] for k in ks],
            name=f"{_series_name(score.dataset, score.language, lang)} (n={score.n})",
            marker_color=COLOURS[i % len(COLOURS)],
            text=[f"{score.recall[k]:.2f}" for k in ks],
            textposition="outside",
        )
    figure.update_yaxes(range=[0, 1.12], title=text("evaluate.chart.recall_y", lang))
    height = 320 + 22 * len(report.retrieval)
    return _layout(figure, text("evaluate.chart.recall_title", lang), height)


def scores_figure(report: EvaluationReport, lang: str) -> go.Figure:
    """Accuracy and macro-F1 of every zero-shot and sentiment set, side by side."""
    figure = go.Figure()
    scores = [("zero_shot", s) for s in report.zero_shot] + [
        ("sentiment", s) for s in report.sentiment
    ]
    names = [  # wrapped: a phone leaves the bars room beside their names
        f"{text(f'evaluate.task.{task}', lang)} (n={s.n})<br>"
        f"{_series_name(s.dataset, s.language, lang)}"
        for task, s in scores
    ]
    for i, metric in enumerate(("accuracy", "macro_f1")):
        values = [getattr(s, metric) for _, s in scores]
        figure.add_bar(
            y=names,
            x=values,
            orientation="h",
            name=text(f"evaluate.metric.{metric}", lang),
            marker_color=COLOURS[i],
            text=[f"{v:.2f}" for v in values],
            textposition="auto",
        )
    figure.update_xaxes(range=[0, 1])
    figure.update_yaxes(automargin=True, autorange="reversed")
    height = 160 + 70 * max(len(scores), 1)
    return _layout(figure, text("evaluate.chart.scores_title", lang), height)


def confusion_figure(report: EvaluationReport, lang: str) -> go.Figure:
    """One heatmap per sentiment set, counts written in the cells."""
    scores = report.sentiment
    if not scores:
        return empty_figure(lang)
    figure = make_subplots(
        rows=len(scores),
        cols=1,
        subplot_titles=[f"{_series_name(s.dataset, s.language, lang)} (n={s.n})" for s in scores],
        vertical_spacing=0.3 / len(scores),
    )
    for row, score in enumerate(scores, start=1):
        names = [class_name(c, lang) for c in score.classes]
        figure.add_trace(
            go.Heatmap(
                z=[list(r) for r in score.confusion],
                x=names,
                y=names,
                text=[[str(v) for v in r] for r in score.confusion],
                texttemplate="%{text}",
                colorscale="Blues",
                showscale=False,
                hovertemplate=f"{text('evaluate.chart.true', lang)}: %{{y}}<br>"
                f"{text('evaluate.chart.predicted', lang)}: %{{x}}<br>%{{z}}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        figure.update_yaxes(
            autorange="reversed", title=text("evaluate.chart.true", lang), row=row, col=1
        )
        figure.update_xaxes(title=text("evaluate.chart.predicted", lang), row=row, col=1)
    figure.update_annotations(font_size=12)
    return _layout(figure, text("evaluate.chart.confusion_title", lang), 120 + 300 * len(scores))


def table(report: EvaluationReport, lang: str) -> tuple[list[str], list[list]]:
    """(headers, rows): one row per number, each naming its task, data set, language and n."""
    rows = []

    def add(task, score, metric, value):
        rows.append(
            [
                text(f"evaluate.task.{task}", lang),
                localised(score.dataset, lang),
                text(f"evaluate.language.{score.language}", lang),
                score.n,
                metric,
                round(value, 3),
            ]
        )

    for score in report.retrieval:
        for k, value in sorted(score.recall.items()):
            metric = text("evaluate.metric.recall", lang, k=k, images=score.n_images)
            add("retrieval", score, metric, value)
    for task, scores in (("zero_shot", report.zero_shot), ("sentiment", report.sentiment)):
        for score in scores:
            add(task, score, text("evaluate.metric.accuracy", lang), score.accuracy)
            add(task, score, text("evaluate.metric.macro_f1", lang), score.macro_f1)
    return [text(f"evaluate.table.{k}", lang) for k in TABLE_KEYS], rows
