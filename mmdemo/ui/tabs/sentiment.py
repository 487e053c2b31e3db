"""The Sentiment tab: text, image or both, each modality's reading, and how they were fused.

The tab shows the client's last idea (multimodal sentiment) as a picture - one stacked bar
per modality and one for the fused result - and says which way each modality pulled. All
the work is ``tasks.sentiment``, the call the CLI makes too, so the page, the API and the
command line cannot disagree. Early fusion is offered only once a head has been trained;
before that the page says what it needs and the one command that trains it.

Languages: the result is *composed here* from the result's structure (labels, pulls,
weights, which model judged) in the request's language, so a Chinese visitor reads it in
Chinese while the API (English) keeps its English keys, chart columns and wording. The
service's own notes (a backend's caveat, the caption the text model read) are package
messages and go through ``localised``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import gradio as gr

from mmdemo.core.errors import MMDemoError
from mmdemo.core.sentiment_results import CLASSES, FusionResult, ModalityScore, pull_of
from mmdemo.services import tasks
from mmdemo.services.sentiment import DEFAULT_FUSION, DEFAULT_TEXT_WEIGHT, FUSIONS, SentimentFusion
from mmdemo.serving import ModelServer
from mmdemo.ui import examples
from mmdemo.ui.common import MODEL_QUEUE, TabContext, friendly, image_input, random_note
from mmdemo.ui.i18n import localised, register, request_language, t, text
from mmdemo.ui.strings.sentiment import STRINGS

TRAIN_COMMAND = "python -m mmdemo train sentiment-fusion --data CSV"

# Chinese names of the three fusions and their one-line explanations; the English is the
# service's own (services.sentiment.FUSIONS), so the page and the CLI name them alike.
_FUSION_ZH = {
    "late": (
        "决策级（晚期融合）",
        "文本和图片分别打分；结果是两者的加权平均（权重是文本所占的比例，其余归图片）。",
    ),
    "caption": (
        "图片描述桥接",
        "先为图片生成一句描述，再让文本模型把文字和这句描述一起读，让图片“用文字说话”。",
    ),
    "early": (
        "特征级（早期融合）",
        "一个小小的融合头，把图片和文本的嵌入向量并排输入，同时根据两者作出判断。",
    ),
}
register(
    {
        f"sentiment.fusion.{name}": (info.title, _FUSION_ZH[name][0])
        for name, info in FUSIONS.items()
    }
)
register(
    {
        f"sentiment.fusion_help.{name}": (
            f"*{info.title}:* {info.explanation}",
            f"*{_FUSION_ZH[name][0]}：* {_FUSION_ZH[name][1]}",
        )
        for name, info in FUSIONS.items()
    }
)
register(STRINGS)
TITLE = t("tab.sentiment")
ID = "sentiment"
ORDER = 50

NO_RESULT = text("sentiment.no_result", "en")
SENTIMENT_COLOURS = {"negative": "#dc2626", "neutral": "#9ca3af", "positive": "#16a34a"}
SERIES_ORDER = ["text", "image", "fused"]

# The service's notes that the result view says itself from the result's structure (the
# pulls, the disagreement, a lone modality, the random weights): left out so nothing is
# said twice, and said in the visitor's language. Any other note is shown, localised.
_STRUCTURAL_NOTES = re.compile(
    r"^(The (text|image) pulls .*|Text and image disagree; .*|Only the (text|image) was given: .*"
    r"|Random test weights \(preset tiny\): these results are meaningless\.)$",
    re.S,
)
_CUE_NOTE = re.compile(r"The happy/sad prompts .*? in log-odds\.", re.S)
_CUE_KEYS = ("prompt_polarity", "colour_polarity", "colour_weight", "colour_brightness")
_TEXT_MODEL_READ = re.compile(r"^The text model read: “(?P<joined>.*)”$", re.S)
_CAPTION_SOURCE = re.compile(r" on the caption “(?P<caption>.*)”$", re.S)


def example_rows(assets: Path, preset: str, language: str = "en") -> list[list]:
    """(text, image, fusion, text weight) rows for ``preset`` in ``language``, from
    ui/examples (where each one's intended result is written down and tested)."""
    rows = []
    for example in examples.sentiment_examples(preset, language):
        image = examples.existing(assets, example.image)
        if example.image is None or image:
            rows.append([example.text, image, example.fusion, example.text_weight])
    return rows


def intro(server: ModelServer, language: str = "en") -> str:
    """What the loaded models do, in plain words."""
    return text(
        "sentiment.intro",
        language,
        text=server.spec_for("sentiment").label,
        image=server.spec_for("image_sentiment").label,
        caption=server.spec_for("caption").label,
    )


def class_name(label: str, language: str | None = None) -> str:
    """positive / neutral / negative in the visitor's language (the API keeps English)."""
    return text(f"sentiment.class.{label}", language) if label in CLASSES else label


def example_headers(language: str) -> list[str]:
    """The examples table's column names: the inputs' labels in ``language``."""
    keys = ("text_label", "image_label", "fusion_label", "weight_label")
    return [text(f"sentiment.{key}", language) for key in keys]


def fusion_choices(offered, language: str = "en") -> list[tuple[str, str]]:
    """The fusion menu: (title in ``language``, English name for the API)."""
    return [(text(f"sentiment.fusion.{name}", language), name) for name in offered]


def chart_frame(result: FusionResult, language: str = "en"):
    """The result as rows for a stacked bar chart: x = modality, colour = sentiment; the
    columns, series and classes are named in ``language`` (they are what the chart shows:
    axis titles, tick labels, legend). English keeps the API's column names."""
    import pandas as pd

    x, y, colour = (text(f"sentiment.chart_{k}", language) for k in ("x", "y", "colour"))
    return pd.DataFrame(
        [
            {
                x: text(f"sentiment.series.{row['series']}", language),
                colour: class_name(row["sentiment"], language),
                y: row["probability"],
            }
            for row in result.chart_rows()
        ]
    )


def chart_value(result: FusionResult, language: str = "en") -> gr.BarPlot:
    """The chart in ``language``, with the columns, colours and order it names: Gradio
    keeps a returned plot's props for the session, so after a switch back to English the
    English columns must be named again too."""
    x, y, colour = (text(f"sentiment.chart_{k}", language) for k in ("x", "y", "colour"))
    return gr.BarPlot(
        value=chart_frame(result, language),
        x=x,
        y=y,
        color=colour,
        color_map={class_name(c, language): SENTIMENT_COLOURS[c] for c in CLASSES},
        sort=[text(f"sentiment.series.{s}", language) for s in SERIES_ORDER],
    )


def empty_chart(language: str | None = None) -> gr.BarPlot:
    """No bars, same columns: clearing the plot with None made Gradio 6.31's plot read the
    offsetWidth of an element it had just removed (an uncaught error in the page, seen in
    Chromium after a failed request that followed a result)."""
    import pandas as pd

    x, y, colour = (text(f"sentiment.chart_{k}", language) for k in ("x", "y", "colour"))
    return gr.BarPlot(value=pd.DataFrame({x: [], y: [], colour: []}), x=x, y=y, color=colour)


def _source(m: ModalityScore, fusion: str, language: str) -> str:
    """How a modality was read: the model that judged it and on what."""
    if language == "en":
        return m.source
    if fusion == "early":
        other = "image" if m.modality == "text" else "text"
        return text(
            "sentiment.source.head",
            language,
            modality=text(f"sentiment.series.{m.modality}", language),
            other=text(f"sentiment.series.{other}", language),
        )
    found = _CAPTION_SOURCE.search(m.source)
    if found is not None:
        model = m.source[: found.start()]
        return text("sentiment.source.caption", language, model=model, caption=found["caption"])
    model = m.source.rsplit(" on the ", 1)[0] if " on the " in m.source else m.model
    return text(f"sentiment.source.{m.modality}", language, model=model)


def _pulled(m: ModalityScore, weighted: bool, language: str) -> str:
    """Which way a modality pulled, how hard (P(positive) - P(negative)) and its share."""
    key = "sentiment.pulled" + ("_neither" if m.pull == "neither" else "")
    values = {"polarity": f"{m.polarity:+.2f}"}
    if m.pull != "neither":
        values["direction"] = class_name(m.pull, language)
    if weighted and m.weight is not None:
        key += "_weight"
        values["weight"] = f"{m.weight:.2f}"
    return text(key, language, **values)


def cue_sentence(details: dict, language: str) -> str:
    """Which of lite's image cues pulled which way (the backend's ``_cue_note``, composed
    from its ``details`` in ``language``; a unit test holds the English to the backend's)."""

    def pull(value: float) -> str:
        side = pull_of(value)
        if side == "neither":
            return text("sentiment.cue_neither", language)
        return text("sentiment.cue_pull", language, direction=class_name(side, language))

    bright_z, vivid_z = (
        details.get("colour_brightness_z", 0.0),
        details.get("colour_saturation_z", 0.0),
    )
    light = "bright" if bright_z > 0.5 else "dark" if bright_z < -0.5 else ""
    vivid = "colourful" if vivid_z > 0.5 else "washed_out" if vivid_z < -0.5 else ""
    looks = [text(f"sentiment.look.{x}", language) for x in (light, vivid) if x]
    comma = ", " if language == "en" else "、"
    weight = details["colour_weight"]
    return text(
        "sentiment.cue",
        language,
        prompts=pull(details["prompt_polarity"]),
        prompt=f"{details['prompt_polarity']:+.2f}",
        looks=comma.join(looks) or text("sentiment.look.average", language),
        brightness=f"{details['colour_brightness']:.2f}",
        saturation=f"{details.get('colour_saturation', 0.0):.2f}",
        colours=pull(details["colour_polarity"]),
        colour=f"{details['colour_polarity']:+.2f}",
        prompt_weight=f"{1 - weight:.2f}",
        colour_weight=f"{weight:.2f}",
    )


def _image_note(note: str, result: FusionResult, language: str) -> str | None:
    """The image's note with its cue sentence composed here (other parts localised), or
    None when it is not that note (then it is localised whole)."""
    image = result.modality("image")
    if language == "en" or image is None or not _CUE_NOTE.search(note):
        return None
    if not all(key in image.details for key in _CUE_KEYS):
        return None
    rest = _CUE_NOTE.sub("", note).strip().removeprefix("Image:").strip()
    parts = [cue_sentence(image.details, language)] + ([localised(rest, language)] if rest else [])
    return text("sentiment.image_says", language, note=" ".join(parts))


def result_markdown(result: FusionResult, language: str | None = None) -> str:
    """The fused verdict, each modality's reading (which model judged, which way it
    pulled), whether they disagree, then the service's other notes - in ``language``."""
    lang = language or request_language()
    both = len(result.modalities) > 1
    fusion = text(f"sentiment.fusion.{result.fusion}", lang) if lang != "en" else result.fusion
    if result.text_weight is not None and both:
        how = text("sentiment.how_weight", lang, fusion=fusion, weight=f"{result.text_weight:.2f}")
    else:
        how = text("sentiment.how", lang, fusion=fusion)
    lines = [text("sentiment.fused", lang, label=class_name(result.label, lang), how=how), ""]
    weighted = result.fusion == "late" and both
    for m in result.modalities:
        top = max(m.probabilities, key=lambda s: s.probability)
        line = text(
            "sentiment.line",
            lang,
            modality=text(f"sentiment.modality.{m.modality}", lang),
            source=_source(m, result.fusion, lang),
            label=class_name(top.label, lang),
            percent=f"{top.probability:.0%}",
            pulled=_pulled(m, weighted, lang),
        )
        judge = m.model or m.details.get("judged_by")
        if m.details.get("judged_by") and not m.source.startswith(f"{judge} on the "):
            # a router chose the model (English or Chinese) and the source names the router
            line += f" · {text('sentiment.judged_by', lang, model=judge)}"
        lines.append(line)
    notes = []
    pulls = {m.pull for m in result.modalities} - {"neither"}
    if len(pulls) == 2:
        fused_pull = pull_of(result.polarity)
        if fused_pull == "neither":
            notes.append(text("sentiment.disagree_balanced", lang))
        else:
            notes.append(text("sentiment.disagree", lang, label=class_name(fused_pull, lang)))
    if len(result.modalities) == 1:
        only = result.modalities[0].modality
        other = "image" if only == "text" else "text"
        notes.append(
            text(
                "sentiment.only",
                lang,
                modality=text(f"sentiment.series.{only}", lang),
                other=text(f"sentiment.series.{other}", lang),
            )
        )
    for note in result.notes:
        if _STRUCTURAL_NOTES.match(note):
            continue
        read = _TEXT_MODEL_READ.match(note)
        image_note = _image_note(note, result, lang)
        if image_note is not None:
            notes.append(image_note)
        elif read is not None:
            notes.append(text("sentiment.text_model_read", lang, joined=read["joined"]))
        else:
            notes.append(localised(note, lang))
    if notes:  # one paragraph each: a disagreement and a caveat are two things to read
        lines += ["", "\n\n".join(notes)]
    return random_note(result.random_weights, lang) + "\n".join(lines)


def fusion_help(server: ModelServer, name: str, language: str | None = None):
    """The chosen fusion's explanation; for early fusion, also whether a head is trained.
    Late and caption are one fixed sentence each, so they are returned as a key the
    browser translates (and re-translates on a switch)."""
    if name not in FUSIONS:
        return ""
    if name != "early":
        return t(f"sentiment.fusion_help.{name}")
    lang = language or request_language()
    help_text = text("sentiment.fusion_help.early", lang)
    try:
        help_text += "\n\n" + localised(SentimentFusion(server).head_status(), lang)
    except MMDemoError as err:
        help_text += f"\n\n**{localised(str(err), lang)}**"
    return help_text


def fused_label(result: FusionResult, language: str | None = None) -> dict[str, float]:
    """The gr.Label's value: English class names for the API, translated for a visitor."""
    lang = language or request_language()
    return {class_name(s.label, lang): s.probability for s in result.probabilities}


def build(ctx: TabContext) -> None:
    server = ctx.server
    assets = Path(ctx.settings.assets_dir)
    intro_box = gr.Markdown(intro(server), elem_id="sentiment-intro")
    early = SentimentFusion(server).head_trained()
    offered = [name for name in FUSIONS if early or name != "early"]
    with gr.Row():
        with gr.Column():
            text_box = gr.Textbox(
                label=t("sentiment.text_label"), elem_id="sentiment-text", lines=3
            )
            image = image_input(t("sentiment.image_label"), "sentiment-image", height=220)
            fusion = gr.Radio(
                fusion_choices(offered),
                value=DEFAULT_FUSION,
                label=t("sentiment.fusion_label"),
                elem_id="sentiment-fusion",
            )
            explanation = gr.Markdown(
                t(f"sentiment.fusion_help.{DEFAULT_FUSION}"), elem_id="fusion-help"
            )
            needs = None
            if not early:  # shown as what it needs, not offered as a choice that fails
                needs = gr.Markdown(
                    text("sentiment.early_needs_head", "en", command=TRAIN_COMMAND),
                    elem_id="sentiment-early-needs",
                )
            weight = gr.Slider(
                0,
                1,
                value=DEFAULT_TEXT_WEIGHT,
                step=0.05,
                label=t("sentiment.weight_label"),
                elem_id="sentiment-weight",
            )
            button = gr.Button(t("sentiment.button"), variant="primary", elem_id="sentiment-button")
        with gr.Column():
            fused = gr.Label(label=t("sentiment.fused_label"), elem_id="sentiment-output")
            chart = gr.BarPlot(
                x="series",
                y="probability",
                color="sentiment",
                color_map=SENTIMENT_COLOURS,
                sort=SERIES_ORDER,
                y_lim=[0, 1],
                label=t("sentiment.chart_label"),
                elem_id="sentiment-chart",
                height=260,
            )
            notes = gr.Markdown(elem_id="sentiment-notes")
            with gr.Accordion(t("sentiment.raw_label"), open=False):
                raw = gr.JSON(elem_id="sentiment-json")
    example_set = gr.Examples(
        example_rows(assets, server.preset),
        inputs=[text_box, image, fusion, weight],
        label=t("sentiment.examples_label"),
        elem_id="sentiment-examples",
    )

    # Composed on the server: the intro (model names), the fusion menu's titles (Gradio
    # does not translate choice labels), the early-fusion note and the examples (Chinese
    # texts in Chinese), rendered on load and on every switch.
    # The examples table's headers are the inputs' labels as plain text (Gradio shows a
    # label key there as its raw marker), so they are set per language too.
    example_set.dataset.headers = example_headers("en")
    built_props = example_set.dataset.component_props

    def example_props(lang: str) -> list[dict]:
        """The inputs' props the table draws its cells with: the fusion column shows the
        menu's title for each row's fusion, so the menu's choices are given in ``lang``."""
        props = copy.deepcopy(built_props)
        props[2]["choices"] = fusion_choices(offered, lang)
        return props

    shown = [intro_box, fusion, example_set.dataset] + ([needs] if needs is not None else [])

    def render(lang: str):
        values = [
            gr.Markdown(value=intro(server, lang)),
            gr.Radio(choices=fusion_choices(offered, lang)),
            gr.Dataset(
                samples=example_rows(assets, server.preset, lang),
                headers=example_headers(lang),
                component_props=example_props(lang),
            ),
        ]
        if needs is not None:
            early_note = text("sentiment.early_needs_head", lang, command=TRAIN_COMMAND)
            values.append(gr.Markdown(value=early_note))
        return tuple(values)

    ctx.in_language(shown, render)

    # Clicking an example restores each input's props as built - the fusion menu's English
    # titles - so the titles are put back in the visitor's language right after.
    example_set.load_input_event.then(
        lambda: gr.Radio(choices=fusion_choices(offered, request_language())),
        None,
        fusion,
        api_visibility="private",
        show_progress="hidden",
        queue=False,
    )

    @friendly
    def analyse(value, upload=None, fusion_name=DEFAULT_FUSION, text_weight=DEFAULT_TEXT_WEIGHT):
        picture = ctx.upload_image(upload)[0] if upload else None
        result = tasks.sentiment(
            server, value, picture, fusion=fusion_name, text_weight=text_weight
        )
        lang = request_language()
        return (
            fused_label(result, lang),
            chart_value(result, lang),
            result_markdown(result, lang),
            result.to_json(),
        )

    event = gr.on(
        [button.click, text_box.submit],
        analyse,
        [text_box, image, fusion, weight],
        [fused, chart, notes, raw],
        api_name="sentiment",
        preprocess=False,
        concurrency_id=MODEL_QUEUE["sentiment"],
    )
    # a failed request must not leave the previous result standing as if it were this one's
    event.failure(
        lambda: (None, empty_chart(), t("sentiment.no_result"), None),
        None,
        [fused, chart, notes, raw],
        api_visibility="private",
    )
    fusion.change(
        lambda name: (
            fusion_help(server, name),
            gr.update(interactive=name == "late"),
        ),
        fusion,
        [explanation, weight],
        api_visibility="private",
    )
