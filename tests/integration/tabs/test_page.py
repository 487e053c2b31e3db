"""The page as a whole: what its first screen says (banner, overview), the status panel,
and the API it publishes.

The API contract: every endpoint name, its inputs in order (README's "HTTP API" section
documents the calls positionally) and which of them may be left out. A change here breaks
every script that calls the app, so it is pinned in one place.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from mmdemo.core.config import PROJECT_ROOT
from mmdemo.models.backends.label_bridge import LITE_THRESHOLDS
from tests.support.uploads import raw_call, raw_upload

pytestmark = pytest.mark.integration

REQUIRED = object()  # an input with no default: the caller must send it
DEFAULT_LABELS = "a cat, a dog, a cup of coffee, a rocket launch, an astronaut, a flower"

# endpoint -> [(parameter name, component, default or REQUIRED)], and its outputs; the
# model menus' defaults are the preset's own first choice (checked per app below).
EVALUATION = ["Markdown", "Plot", "Plot", "Plot", "Dataframe", "Json"]  # summary, charts, table
API = {
    "/search_text": (
        [
            ("text", "Textbox", REQUIRED),
            ("k", "Slider", 12),
            ("hybrid", "Checkbox", False),
            ("min_score", "Slider", "min_text"),  # the model's "possible" level
            ("collapse", "Checkbox", False),  # one hit per group of near-duplicates
            ("rerank", "Checkbox", False),  # BLIP image-text matching (full/tiny; opt-in)
        ],
        ["Gallery", "Markdown", "Json"],
    ),
    "/search_image": (
        [
            ("upload", "Image", REQUIRED),
            ("text", "Textbox", ""),
            ("text_weight", "Slider", 0.3),
            ("k", "Slider", 12),
            ("min_score", "Slider", "min_image"),
            ("collapse", "Checkbox", False),
        ],
        ["Gallery", "Markdown", "Json"],
    ),
    "/search_terms": (
        [
            ("terms", "Textbox", REQUIRED),  # '"a dog" + "at night" - "people"'
            ("upload", "Image", None),
            ("k", "Slider", 12),
            ("collapse", "Checkbox", False),
        ],
        ["Gallery", "Markdown", "Json", "Markdown"],
    ),
    "/explain_hit": (
        [("query_text", "Textbox", REQUIRED), ("item_id", "Dropdown", REQUIRED)],
        ["Image", "Markdown"],
    ),
    "/explain": (
        [("upload", "Image", REQUIRED), ("query_text", "Textbox", REQUIRED)],
        ["Image", "Json"],
    ),
    "/search_image_to_text": (
        [("upload", "Image", REQUIRED), ("k", "Slider", 12)],
        ["Dataframe"],
    ),
    "/search_similar": (
        [("item_id", "Api", REQUIRED), ("k", "Api", 12), ("min_score", "Api", None)],
        ["Api"],
    ),
    "/classify": (
        [
            ("upload", "Image", REQUIRED),
            ("labels", "Textbox", DEFAULT_LABELS),
            ("template", "Textbox", "a photo of {}."),
        ],
        ["Label"],
    ),
    "/index_add": ([("upload", "File", REQUIRED)], ["Markdown", "Markdown"]),
    "/index_reembed": ([("admin_password", "Textbox", "")], ["Markdown", "Markdown"]),
    "/index_remove": (
        [("ids", "Textbox", ""), ("admin_password", "Textbox", "")],
        ["Markdown", "Markdown"],
    ),
    "/index_reset": ([("admin_password", "Textbox", "")], ["Markdown", "Markdown"]),
    "/caption": (
        [
            ("upload", "Image", REQUIRED),
            ("mode_name", "Radio", "beam"),
            ("length", "Slider", 30),
            ("start", "Textbox", ""),
            ("model_name", "Dropdown", "caption"),  # the preset's caption model
        ],
        ["Textbox", "Label", "Markdown"],
    ),
    "/caption_gallery": (
        [("overwrite", "Checkbox", False), ("admin_password", "Textbox", "")],
        ["Markdown", "Markdown"],
    ),
    "/vqa": (
        [
            ("upload", "Image", REQUIRED),
            ("text", "Textbox", REQUIRED),
            ("fusion_name", "Dropdown", "product"),
            ("model_name", "Dropdown", "vqa"),  # the preset's VQA model
        ],
        ["Label", "Markdown"],
    ),
    "/sentiment": (
        [
            ("value", "Textbox", REQUIRED),
            ("upload", "Image", None),
            ("fusion_name", "Radio", "late"),
            ("text_weight", "Slider", 0.5),
        ],
        ["Label", "Barplot", "Markdown", "Json"],
    ),
    "/info": ([], ["Markdown"]),
    "/map": ([], ["Plot", "Markdown", "Json"]),
    "/map_query": (
        [("text_query", "Textbox", REQUIRED)],
        ["Plot", "Markdown", "Json", "Gallery", "Markdown"],
    ),
    "/map_query_image": (
        [("upload", "Image", REQUIRED)],
        ["Plot", "Markdown", "Json", "Gallery", "Markdown"],
    ),
    "/map_more_like_this": ([("item_id", "Textbox", REQUIRED)], ["Gallery", "Markdown"]),
    "/duplicates": ([], ["Markdown", "Html", "Json", "Textbox"]),
    "/duplicates_remove": (
        [("ids", "Textbox", ""), ("admin_password", "Textbox", "")],
        ["Markdown", "Html", "Json", "Textbox"],
    ),
    "/evaluate": ([], EVALUATION),
    "/evaluate_csv": ([("csv_value", "File", None), ("image_values", "File", None)], EVALUATION),
    "/evaluate_example": ([], EVALUATION),
    "/chat": (
        [
            ("upload", "Image", REQUIRED),
            ("said", "Textbox", REQUIRED),
            ("history", "Textbox", REQUIRED),
            ("temperature", "Slider", 0.7),
            ("top_p", "Slider", 0.9),
            ("max_tokens", "Slider", 256),
            ("name", "Dropdown", "chat"),  # the preset's chat model,
        ],
        ["Textbox", "Json"],
    ),
    "/chat_save_caption": (
        [
            ("upload", "Image", REQUIRED),
            ("answer", "Textbox", REQUIRED),
            ("admin_password", "Textbox", ""),
        ],
        ["Markdown", "Json"],
    ),
    "/generate": (
        [
            ("text_prompt", "Textbox", REQUIRED),
            ("n_steps", "Slider", 1),
            ("seed_value", "Number", 0),
            ("w", "Slider", 512),
            ("h", "Slider", 512),
            ("model_name", "Dropdown", "generate"),  # the preset's image model
        ],
        ["Image", "Json", "Markdown"],
    ),
}
# per app: the preset's first model per task (the model menus' defaults) and where the
# minimum-match sliders start (the embedder's calibrated "possible" levels; tiny has none,
# so its sliders start at the bottom and hide nothing)
NO_LEVELS = {"min_text": -1.0, "min_image": -1.0}
TINY_DRAWS = {"chat": "smolvlm-tiny", "generate": "sd-tiny", **NO_LEVELS}
# lite has no vision-language or diffusion model: its Chat and Generate tabs say so in one
# line and offer no endpoint that could only refuse
GENERATIVE = {"/chat", "/chat_save_caption", "/generate"}
ABSENT = {"offline_client": GENERATIVE}
FIRST_MODEL = {
    "gradio_client": {"caption": "blip-caption-tiny", "vqa": "blip-vqa-tiny", **TINY_DRAWS},
    "generative_client": {"caption": "blip-caption-tiny", "vqa": "vilt-vqa-tiny", **TINY_DRAWS},
    "offline_client": {
        "caption": "label-caption",
        "vqa": "routed-vqa",
        # the sliders start at the calibrated "possible" levels (docs/quality.md section 6)
        "min_text": LITE_THRESHOLDS["text"],
        "min_image": LITE_THRESHOLDS["image"],
    },
}
PER_APP = ("model_name", "min_score", "name", "model")


def named_endpoints(client) -> dict:
    return client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def readme_section(title: str) -> str:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def test_api_lists_the_named_endpoints(gradio_client):
    names = set(gradio_client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    for name in (
        "/search_text",
        "/search_image",
        "/classify",
        "/index_add",
        "/search_similar",
        "/info",
    ):
        assert name in names


def test_the_readme_documents_every_endpoint():
    section = readme_section("HTTP API")
    documented = set(re.findall(r'api_name="(/\w+)"', section))
    documented |= set(re.findall(r"`(/\w+)`", section))
    assert documented == set(API)


@pytest.mark.parametrize("app", list(FIRST_MODEL))
def test_every_endpoint_keeps_its_name_inputs_order_and_defaults(request, app):
    """The documented names, each input in its documented place, optional ones optional.

    Also for an app whose VQA model has no fusions (the fusion menu is hidden there, but
    the API must still let a caller leave the fusion out).
    """
    client = request.getfixturevalue(app)
    api = named_endpoints(client)
    assert set(api) == set(API) - ABSENT.get(app, set())
    for name, (inputs, outputs) in API.items():
        if name in ABSENT.get(app, set()):
            continue
        got = [
            (
                p["parameter_name"],
                p["component"],
                p["parameter_default"] if p["parameter_has_default"] else REQUIRED,
            )
            for p in api[name]["parameters"]
        ]
        expected = [
            (
                param,
                component,
                FIRST_MODEL[app].get(default, default) if param in PER_APP else default,
            )
            for param, component, default in inputs
        ]
        assert got == expected, name
        assert [r["component"] for r in api[name]["returns"]] == outputs, name


def test_button_and_enter_share_one_endpoint(gradio_client):
    """The search, VQA and sentiment buttons and Enter share one event (``gr.on``)."""
    api = named_endpoints(gradio_client)
    for name in ("/search_text", "/vqa", "/sentiment"):
        assert name in api and f"{name}_1" not in api
    assert not [name for name in api if re.search(r"_\d+$", name)]
    assert not gradio_client.view_api(print_info=False, return_format="dict")["unnamed_endpoints"]


# What a raw call sends for each required input (files are uploaded first); endpoints that
# change the shared gallery are left out (their inputs all have defaults anyway).
REQUIRED_VALUES = {
    "text": "what is this?",
    "value": "What a lovely day",
    "item_id": 0,
    "terms": '"a cat" + "a flower" - "a dog"',
    "query_text": "a cat",
    "text_query": "a cat",
    "said": "What is in this picture?",
    "history": "[]",
    "answer": "A test picture.",
    "text_prompt": "a red circle",
}
CHANGES_THE_GALLERY = ("/index_", "/caption_gallery", "/duplicates_remove", "/chat_save_caption")


@pytest.mark.parametrize("name", [name for name in API if not name.startswith(CHANGES_THE_GALLERY)])
def test_a_raw_http_call_may_leave_out_every_optional_input(app_server, make_test_image, name):
    """``/gradio_api/call/<name>`` with only the required inputs: the rest get the defaults
    listed above, as gradio_client would send them (ui/blocks.py)."""
    inputs, _ = API[name]
    data = []
    for param, component, default in inputs:
        if default is not REQUIRED:
            break  # optional inputs come last: the call stops here
        if component == "Image":
            content = make_test_image("raw.png").read_bytes()
            data.append(raw_upload(app_server.url, "raw.png", content))
        else:
            data.append(REQUIRED_VALUES[param])
    stream = raw_call(app_server.url, name.lstrip("/"), data)
    # the handler ran with the defaults: a result (or, for image -> text over a gallery no
    # test has captioned yet, or an evaluation of a CSV left out, the handler's own word)
    said = ("has a caption yet", "Upload a CSV file first")
    assert "event: complete" in stream or any(word in stream for word in said), stream


def test_an_unknown_endpoint_is_named_in_a_404(app_server):
    with pytest.raises(urllib.error.HTTPError) as info:
        raw_call(app_server.url, "no_such_endpoint", [])
    assert info.value.code == 404
    assert "There is no endpoint /no_such_endpoint" in info.value.read().decode()


# What only a developer needs (environment variables, commands, hub repo ids) or nobody
# should see (server paths, literal markdown marks): none of it outside the banner's folds.
DEVELOPER = re.compile(
    r"MMDEMO_|HF_HOME|HF_ENDPOINT|python -m|app\.py|Salesforce/|laion2b|distilbert/|/tmp/"
    r"|/home/|/work/"
)


def page_load(app, language: str | None = None) -> list:
    """What ``/page_load`` returns: [language, timer, banner, overview, tab texts...]."""
    stream = raw_call(app.url, "page_load", [language])
    event = re.search(r"^event: complete\ndata: (.*)$", stream, re.M)
    assert event, stream
    return json.loads(event.group(1))


def page_load_banner(app, language: str | None = None) -> str:
    """The banner markdown the page shows on load."""
    return page_load(app, language)[2]


def outside_folds(markdown: str) -> str:
    """What shows before a fold is opened: the ``<details>`` blocks removed."""
    return re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)


def folds(markdown: str) -> str:
    return "\n".join(re.findall(r"<details>(.*?)</details>", markdown, flags=re.S))


def overview(app, language: str | None = None) -> str:
    """The overview under the title, as the page renders it on load."""
    return page_load(app, language)[3]


def test_the_tiny_banner_says_results_are_meaningless_in_plain_words(app_server):
    banner = page_load_banner(app_server)
    line = outside_folds(banner)
    assert "Test models (preset tiny)" in line and "meaningless" in line
    assert not DEVELOPER.search(line), line
    assert "MMDEMO_PRESET=lite" in folds(banner)  # how to run real models: in the fold
    assert str(app_server.work) not in banner


def test_the_lite_banner_says_offline_models_and_why_with_the_details_folded(
    offline_app_server,
):
    banner = page_load_banner(offline_app_server)
    line = outside_folds(banner)
    assert "Offline models (preset lite)" in line and "cannot be reached" in line
    assert "meaningless" not in banner  # real models: no random-weights warning
    assert not DEVELOPER.search(line), line
    details = folds(banner)
    assert "python -m mmdemo download --preset full" in details
    assert "MMDEMO_CACHE_DIR=PATH MMDEMO_PRESET=full" in details
    assert "EfficientNet-Lite0" in details and "VADER" in details  # the models that run
    assert str(offline_app_server.work) not in banner


@pytest.mark.parametrize("app", ["app_server", "offline_app_server"])
def test_the_overview_names_the_shared_space_and_fusion_in_plain_words(request, app):
    text = overview(request.getfixturevalue(app))
    line = outside_folds(text)
    assert "same space" in line and "photo" in line and "words" in line
    assert not DEVELOPER.search(text) and "`" not in text
    assert "Feature level" in folds(text) and "Decision level" in folds(text)


def test_the_status_panel_names_the_index_but_not_its_server_path(app_server, gradio_client):
    status = gradio_client.predict(api_name="/info")
    assert re.search(r"\*\*index\*\*: \d+ images", status), status
    assert str(app_server.index_dir) not in status and str(app_server.work) not in status
    assert "random weights" in status and "tiny" in status


def test_offline_app_chooses_lite_and_says_why(offline_client, offline_app_server):
    status = offline_client.predict(api_name="/info")
    assert "`lite`" in status and "cannot be reached" in status
    assert str(offline_app_server.work) not in status


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_page_renders_every_composed_text_in_the_chosen_language(app_server, language):
    """What the server composes on load (banner, overview, tab titles, intros, example
    tables' headers...) comes back in the language asked for, with no raw I18n marker left
    (Gradio does not translate a Dataset's headers; the page renders them)."""
    from mmdemo.core.i18n import has_cjk

    outputs = page_load(app_server, language)
    assert outputs[0] == language
    shown = json.dumps(outputs[2:], ensure_ascii=False)
    assert "__i18n__" not in shown
    assert has_cjk(outputs[2]) == (language == "zh")  # the banner
    assert has_cjk(outputs[3]) == (language == "zh")  # the overview
