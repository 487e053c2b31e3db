"""The Evaluate tab: the active preset measured live - recall@k, zero-shot accuracy,
sentiment accuracy / macro-F1 / confusion - on the bundled labelled sets or a visitor's CSV.

Why here and not only in docs/quality.md: a client judging the models wants to see the
numbers come out of the running page, on their own data too. All the work is
``quality.live_evaluation`` (the CLI's ``evaluate`` calls the same functions); this file is
layout and events. The charts and the table are composed in the visitor's language
(``ui/panels/evaluation_charts.py``); the JSON keeps English keys for the API.
"""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

from mmdemo.core.errors import BadInputError
from mmdemo.core.evaluation_results import EvaluationReport
from mmdemo.quality import live_evaluation as live
from mmdemo.quality.evaluation_csv import (
    MAX_CSV_BYTES,
    MAX_ROWS,
    CsvProblems,
    check_csv_size,
    read_rows,
)
from mmdemo.serving import ModelServer
from mmdemo.ui.common import TabContext, friendly, random_note, session_of, upload_paths
from mmdemo.ui.i18n import localised, register, request_language, t, text
from mmdemo.ui.panels import evaluation_charts as charts

register(
    {
        "tab.evaluate": ("Evaluate", "评测"),
        "evaluate.intro": (
            "Measures the models this server runs (preset `{preset}`: search `{embed}`, "
            "sentiment `{sentiment}`) while you watch: caption → image recall@1/5/10, "
            "zero-shot accuracy on labelled photos, and sentiment accuracy and macro-F1 with "
            "a confusion matrix. The bundled sets are the gallery's caption files, 6 held-out "
            "photos with their captions and labels, and the English and Chinese sentiment "
            "sets (docs/quality.md publishes the same protocols).",
            "现场评测这台服务器正在运行的模型（预设 `{preset}`：搜索 `{embed}`，情感 "
            "`{sentiment}`）：文字 → 图片的召回率@1/5/10、带标签照片上的零样本分类准确率，以及"
            "情感分析的准确率、宏平均 F1 和混淆矩阵。内置数据集是图库的描述文件、6 张留出照片及其"
            "描述和标签，以及英文和中文的情感数据集（docs/quality.md 用同样的方法发布了结果）。",
        ),
        "evaluate.bundled_button": ("Run on the bundled sets", "用内置数据集评测"),
        "evaluate.csv_fold": ("Your own CSV", "你自己的 CSV"),
        "evaluate.csv_help": (
            "A CSV with the columns **image, text, label**, uploaded with its images. What a "
            "row measures follows from what it fills: image + text → retrieval (each text "
            "ranked among the CSV's images), image + label → zero-shot over the CSV's labels, "
            "text + label → sentiment (positive / neutral / negative, or 正面 / 中性 / 负面). "
            "The image column names an uploaded file. At most {rows} rows, {size} KB and "
            "{images} images.",
            "一个包含 **image、text、label** 三列的 CSV，连同它用到的图片一起上传。每行评测什么"
            "取决于填了哪几项：image + text → 检索（每段文字在 CSV 的图片中排序），image + label → "
            "在 CSV 自己的标签上做零样本分类，text + label → 情感（positive / neutral / negative，"
            "或 正面 / 中性 / 负面）。image 列写上传文件的文件名。最多 {rows} 行、{size} KB、"
            "{images} 张图片。",
        ),
        "evaluate.csv_file": ("CSV file", "CSV 文件"),
        "evaluate.csv_images": ("Its images", "它用到的图片"),
        "evaluate.csv_button": ("Run on my CSV", "用我的 CSV 评测"),
        "evaluate.example_button": ("Run the example CSV", "运行示例 CSV"),
        "evaluate.example_files": (
            "Example CSV and its images (download them to start your own)",
            "示例 CSV 及其图片（下载后可改成你自己的）",
        ),
        "evaluate.no_result": ("*No result.*", "*没有结果。*"),
        "evaluate.summary": (
            "**{source}** on preset `{preset}` in {seconds:.1f} s. Each number names its data "
            "set and n; the JSON below has them all.",
            "**{source}**，预设 `{preset}`，用时 {seconds:.1f} 秒。每个数字都注明了数据集和数量；"
            "下面的 JSON 里有全部结果。",
        ),
        "evaluate.source.bundled": ("Bundled sets", "内置数据集"),
        "evaluate.source.csv": ("Your CSV", "你的 CSV"),
        "evaluate.bad_csv": (
            "The CSV has {count} bad rows; fix them and upload it again.",
            "这个 CSV 有 {count} 行有问题；请改好后重新上传。",
        ),
        "evaluate.json": ("JSON (what the API returns)", "JSON（API 返回的内容）"),
        "evaluate.table_label": ("Every number", "全部数字"),
    }
)
TITLE = t("tab.evaluate")
ID = "evaluate"
ORDER = 80

GUARD = live.RunGuard()  # one run at a time per browser session (each API client is one)
EXAMPLE_CSV = "evaluate/example.csv"


def intro(server: ModelServer, language: str = "en") -> str:
    return text(
        "evaluate.intro",
        language,
        preset=server.preset,
        embed=server.spec_for("embed").name,
        sentiment=server.spec_for("sentiment").name,
    )


def csv_help(server: ModelServer, language: str = "en") -> str:
    return text(
        "evaluate.csv_help",
        language,
        rows=MAX_ROWS,
        size=MAX_CSV_BYTES // 1000,
        images=server.settings.max_upload_files,
    )


def example_files(assets: Path) -> tuple[Path, list[Path]]:
    """The example CSV and the gallery photos it names (the page offers both for download)."""
    csv_path = assets / EXAMPLE_CSV
    rows = read_rows(csv_path.read_bytes(), _gallery_photos(assets))
    return csv_path, [assets / "gallery" / name for name in rows.images]


def _gallery_photos(assets: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted((assets / "gallery").iterdir()) if p.is_file()}


def outputs(report: EvaluationReport, lang: str) -> tuple:
    """summary, recall chart, scores chart, confusion chart, table, JSON."""
    import pandas as pd

    summary = random_note(report.random_weights, lang) + text(
        "evaluate.summary",
        lang,
        source=text(f"evaluate.source.{report.source}", lang),
        preset=report.preset,
        seconds=report.seconds,
    )
    headers, rows = charts.table(report, lang)
    return (
        summary,
        charts.recall_figure(report, lang) if report.retrieval else charts.empty_figure(lang),
        charts.scores_figure(report, lang),
        charts.confusion_figure(report, lang),
        pd.DataFrame(rows, columns=headers),
        report.to_json(),
    )


def problems_message(err: CsvProblems, lang: str) -> str:
    """Every bad row in the visitor's language, one a line (the API reads the English)."""
    lines = [text("evaluate.bad_csv", lang, count=len(err.problems))]
    lines += [localised(p, lang) for p in err.problems[:10]]
    if len(err.problems) > 10:
        lines.append(localised(f"…and {len(err.problems) - 10} more.", lang))
    return "\n".join(lines)


def _csv_bytes(value) -> bytes:
    """The uploaded CSV's bytes, its size checked before it is read."""
    paths, _ = upload_paths(value)
    if not paths:
        raise BadInputError("Upload a CSV file first (columns image, text, label).")
    if len(paths) > 1:
        raise BadInputError("Give one CSV file, not several.")
    check_csv_size(os.path.getsize(paths[0]))
    return Path(paths[0]).read_bytes()


def build(ctx: TabContext) -> None:
    server = ctx.server
    assets = Path(ctx.settings.assets_dir)
    example_csv, example_images = example_files(assets)
    intro_box = gr.Markdown(intro(server), elem_id="evaluate-intro")
    bundled_button = gr.Button(
        t("evaluate.bundled_button"), variant="primary", elem_id="evaluate-bundled-button"
    )
    with gr.Accordion(t("evaluate.csv_fold"), open=True):
        help_box = gr.Markdown(csv_help(server), elem_id="evaluate-csv-help")
        with gr.Row():
            csv_file = gr.File(
                label=t("evaluate.csv_file"), file_types=[".csv"], elem_id="evaluate-csv"
            )
            images = gr.File(
                label=t("evaluate.csv_images"),
                file_count="multiple",
                file_types=["image"],
                elem_id="evaluate-images",
            )
        with gr.Row():
            csv_button = gr.Button(
                t("evaluate.csv_button"), variant="primary", elem_id="evaluate-csv-button"
            )
            example_button = gr.Button(t("evaluate.example_button"), elem_id="evaluate-example")
        gr.File(
            value=[str(example_csv)] + [str(p) for p in example_images],
            label=t("evaluate.example_files"),
            file_count="multiple",
            interactive=False,
            elem_id="evaluate-example-files",
        )
    summary = gr.Markdown(elem_id="evaluate-summary")
    recall_plot = gr.Plot(elem_id="evaluate-recall", show_label=False)
    scores_plot = gr.Plot(elem_id="evaluate-scores", show_label=False)
    confusion_plot = gr.Plot(elem_id="evaluate-confusion", show_label=False)
    table = gr.Dataframe(
        label=t("evaluate.table_label"), interactive=False, wrap=True, elem_id="evaluate-table"
    )
    with gr.Accordion(t("evaluate.json"), open=False):
        raw = gr.JSON(elem_id="evaluate-json")
    shown = [summary, recall_plot, scores_plot, confusion_plot, table, raw]

    ctx.in_language(
        [intro_box, help_box],
        lambda lang: (
            gr.Markdown(value=intro(server, lang)),
            gr.Markdown(value=csv_help(server, lang)),
        ),
    )

    def run(work, request: gr.Request | None, progress) -> tuple:
        lang = request_language(request)

        def step(fraction: float, what: str) -> None:
            progress(fraction, desc=localised(what, lang))

        with GUARD.hold(session_of(request)):
            try:
                report = work(step)
            except CsvProblems as err:
                message = problems_message(err, lang)
                raise gr.Error(message, title=text("error.title", lang)) from err
        return outputs(report, lang)

    @friendly
    def bundled(request: gr.Request = None, progress=gr.Progress()):
        return run(lambda step: live.evaluate_bundled(server, progress=step), request, progress)

    @friendly
    def on_csv(
        csv_value=None, image_values=None, request: gr.Request = None, progress=gr.Progress()
    ):
        paths, names = upload_paths(image_values)
        live.check_image_count(len(paths), ctx.settings.max_upload_files)  # before any work
        data = _csv_bytes(csv_value)
        uploaded = {name: Path(path) for path, name in zip(paths, names, strict=True)}
        return run(
            lambda step: live.evaluate_csv(
                server, data, uploaded, max_images=ctx.settings.max_upload_files, progress=step
            ),
            request,
            progress,
        )

    @friendly
    def example(request: gr.Request = None, progress=gr.Progress()):
        uploaded = {p.name: p for p in example_images}
        data = example_csv.read_bytes()
        return run(
            lambda step: live.evaluate_csv(
                server, data, uploaded, max_images=len(uploaded), progress=step
            ),
            request,
            progress,
        )

    def cleared():
        import pandas as pd

        empty = charts.empty_figure()
        headers = [text(f"evaluate.table.{k}") for k in charts.TABLE_KEYS]
        return (t("evaluate.no_result"), empty, empty, empty, pd.DataFrame(columns=headers), None)

    queue = {"concurrency_id": "evaluate", "concurrency_limit": 2}
    for event in (
        bundled_button.click(bundled, None, shown, api_name="evaluate", **queue),
        csv_button.click(
            on_csv, [csv_file, images], shown, api_name="evaluate_csv", preprocess=False, **queue
        ),
        example_button.click(example, None, shown, api_name="evaluate_example", **queue),
    ):
        event.failure(cleared, None, shown, api_visibility="private")
