"""Every example the page offers, in every language, driven through the running app:
``lite`` must give the intended result, ``tiny`` must answer each one with the right types.

The examples are read from ``mmdemo/ui/examples/``, the package the tabs build their "Try"
rows and suggested questions from, through the same filters (the active model's declared
question kinds, the visitor's language), so an example added there is tested here without a
new line. The offline app (no preset, no network) is ``lite``; the tiny app mirrors ``full``.

Languages: each example function takes the visitor's language (``fn(..., language)``) and
returns what a visitor reading it is offered; an example carries its own ``language`` field.
``offered`` collects every example of every language once (a Chinese visitor offered the
English ones, where a model reads English only, adds nothing new), and ``Visitor`` asks the
app as a visitor of the example's language would: English through gradio_client (the API's
language), Chinese as a browser with the page switch's cookie, so composed answers, notes
and captions come back in that language. A tab adds its Chinese examples as data only.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from gradio_client import handle_file

from mmdemo.core.config import PROJECT_ROOT
from mmdemo.core.i18n import LANGUAGES, has_cjk
from mmdemo.models.backends.zero_shot import parse_labels
from mmdemo.models.presets import backend_for
from mmdemo.models.registry import get_backend
from mmdemo.ui import examples
from mmdemo.ui.tabs.sentiment import TRAIN_COMMAND
from tests.support.localised_calls import call_in
from tests.support.uploads import raw_upload

pytestmark = pytest.mark.integration

ASSETS = PROJECT_ROOT / "assets"
CLASSES = {"negative", "neutral", "positive"}
NO_GOOD_MATCH = {"en": "No good match", "zh": "没有好的匹配"}
RANDOM_NOTE = {"en": "Random test weights", "zh": "随机测试权重"}


def in_language(fn, *args, language: str):
    """``fn(*args, language)`` - an example function of a tab that speaks ``language``; one
    without a ``language`` parameter offers English to everyone (nothing new in another)."""
    if "language" in inspect.signature(fn).parameters:
        return list(fn(*args, language=language))
    return list(fn(*args)) if language == "en" else []


def offered(fn, *args, language_of=None) -> list[tuple[str, object]]:
    """(language, example) for every example ``fn`` offers in any language, each once: in its
    own ``language`` (``language_of(example)``), else the first language it is offered in."""
    language_of = language_of or (lambda example: getattr(example, "language", None))
    seen: set = set()
    found = []
    for language in LANGUAGES:
        for example in in_language(fn, *args, language=language):
            if example in seen:
                continue
            seen.add(example)
            found.append((language_of(example) or language, example))
    return found


def example_id(value) -> str:
    """A readable test id: the language, then the example's text or file."""
    if isinstance(value, str):
        return value
    for field in ("query", "expect", "mentions", "text", "name"):
        if isinstance(getattr(value, field, None), str):
            return getattr(value, field)[:24]
    return str(value)[:24]


class Visitor:
    """The app as a visitor reading ``language`` calls it (``predict`` as gradio_client's)."""

    def __init__(self, client, language: str):
        self.client, self.language = client, language

    def predict(self, *args, api_name: str):
        if self.language == "en":  # what the API gives: English
            return self.client.predict(*args, api_name=api_name)
        # a raw call must send every input: the omitted ones get the API's own defaults
        api = self.client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        defaults = [p["parameter_default"] for p in api[api_name]["parameters"]]
        data = [self._sent(value) for value in [*args, *defaults[len(args) :]]]
        outputs = call_in(self.client.src, api_name.lstrip("/"), data, cookie=self.language)
        outputs = outputs[: len(api[api_name]["returns"])]  # the page's own states left out
        return outputs[0] if len(outputs) == 1 else outputs  # as gradio_client gives them

    def _sent(self, value):
        """A handle_file(...) is uploaded the way the page does; other values go as they are."""
        if isinstance(value, dict) and value.get("meta", {}).get("_type") == "gradio.FileData":
            path = Path(value["path"])
            return raw_upload(self.client.src, path.name, path.read_bytes())
        return value


def asset(relative: str):
    return handle_file(str(ASSETS / relative))


def confidences(label_output) -> dict[str, float]:
    if not label_output:
        return {}
    return {c["label"]: c["confidence"] for c in label_output.get("confidences", [])}


def top(label_output) -> str | None:
    scores = confidences(label_output)
    return max(scores, key=scores.get) if scores else None


def hits_of(outputs) -> list[dict]:
    """The JSON hits among a search endpoint's outputs (dicts with "id" and "image")."""
    for value in outputs:
        dicts = isinstance(value, list) and value and isinstance(value[0], dict)
        if dicts and all("id" in hit and "image" in hit for hit in value):
            return value
    raise AssertionError(f"no hits among the outputs: {outputs!r}")


def message_of(outputs) -> str:
    return next(v for v in outputs if isinstance(v, str))


def vqa_capabilities(preset: str):
    return get_backend("vqa", backend_for(preset, "vqa")).capabilities


def offered_questions(preset: str, language: str = "en"):
    """Every (image, question) the Ask tab offers in ``preset`` to a visitor reading
    ``language``: example rows and the suggested questions of each example image, as the
    tab filters them."""
    can = vqa_capabilities(preset)
    for image in examples.VQA_IMAGES:
        for question in in_language(
            examples.suggested_questions, can, image.name, image.domain, language=language
        ):
            yield image, question


def question_language(pair) -> str | None:
    return getattr(pair[1], "language", None)


# -- Search ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "example"), offered(examples.search_examples, "lite"), ids=example_id
)
def test_lite_search_chip_finds_its_photo_first(offline_client, language, example):
    outputs = Visitor(offline_client, language).predict(example.query, 5, api_name="/search_text")
    hits = hits_of(outputs)
    assert hits and hits[0]["image"] == example.finds, hits[:3]
    assert NO_GOOD_MATCH[language] not in message_of(outputs)


def test_tiny_search_chips_answer(gradio_client):
    for language, example in offered(examples.search_examples, "tiny"):
        visitor = Visitor(gradio_client, language)
        hits = hits_of(visitor.predict(example.query, 3, api_name="/search_text"))
        # tiny has no match levels, so nothing is hidden: exactly k hits, best first, each a
        # different gallery image (random weights: which ones is meaningless)
        assert len(hits) == 3 and all(isinstance(h["score"], float) for h in hits), hits
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=True), hits
        assert len({h["id"] for h in hits}) == 3 and all(h["strength"] is None for h in hits)


# -- Classify ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "example"), offered(examples.classify_examples, "lite"), ids=example_id
)
def test_lite_classify_example_puts_its_label_first(offline_client, language, example):
    visitor = Visitor(offline_client, language)
    output = visitor.predict(asset(example.image), example.labels, api_name="/classify")
    assert top(output) == example.expect, confidences(output)


def test_tiny_classify_examples_answer(gradio_client):
    for language, example in offered(examples.classify_examples, "tiny"):
        visitor = Visitor(gradio_client, language)
        output = visitor.predict(asset(example.image), example.labels, api_name="/classify")
        labels = set(parse_labels(example.labels))  # as Classify splits them (，、； too)
        assert set(confidences(output)) <= labels and top(output) in labels


# -- Caption -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "example"), offered(examples.caption_examples, "lite"), ids=example_id
)
def test_lite_caption_example_names_what_it_shows(offline_client, language, example):
    text, _, notes = Visitor(offline_client, language).predict(
        asset(example.image), api_name="/caption"
    )
    assert example.mentions in text.lower(), text
    if language == "en":
        assert "not sure" not in text and "label-based" in notes, (text, notes)
    else:  # the caption itself is written in the visitor's language
        assert has_cjk(text), text


def test_tiny_caption_examples_answer(gradio_client):
    for language, example in offered(examples.caption_examples, "tiny"):
        visitor = Visitor(gradio_client, language)
        text, _, notes = visitor.predict(asset(example.image), api_name="/caption")
        assert isinstance(text, str) and text.strip() and RANDOM_NOTE[language] in notes


# -- Ask (VQA) -----------------------------------------------------------------------------
def test_lite_offers_no_question_its_model_cannot_answer():
    """The issue's failures are not offered any more: colour and counting about photos."""
    texts = {q.text for _, q in offered_questions("lite")}
    assert "What color is the saucer?" not in texts and "How many rockets?" not in texts
    assert len(texts) >= 8  # still something to try on every example image


@pytest.mark.parametrize(
    ("language", "pair"),
    offered(lambda language: offered_questions("lite", language), language_of=question_language),
    ids=lambda v: v if isinstance(v, str) else f"{v[0].name}-{v[1].text}",
)
def test_lite_vqa_question_gets_its_right_answer(offline_client, language, pair):
    image, question = pair
    visitor = Visitor(offline_client, language)
    answers, notes = visitor.predict(asset(image.image), question.text, api_name="/vqa")
    if language == "en":
        assert "Can't answer" not in notes
    assert top(answers) in question.expect, (question.text, confidences(answers))


@pytest.mark.parametrize("language", LANGUAGES)
def test_lite_generic_questions_are_answered(offline_client, language):
    """An image that is not an example gets generic questions of answerable kinds only, each
    asked as a visitor reading its language would."""
    can = vqa_capabilities("lite")
    picture = asset("gallery/china_temple.jpg")
    questions = in_language(
        examples.suggested_questions, can, "my_holiday.jpg", "photo", language=language
    )
    assert questions or language != "en"
    for question in questions:
        asked = getattr(question, "language", None) or language
        answers, notes = Visitor(offline_client, asked).predict(
            picture, question.text, api_name="/vqa"
        )
        assert confidences(answers), question.text
        assert asked != "en" or "Can't answer" not in notes, question.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_lite_vqa_example_rows_are_offered_questions(language):
    rows = in_language(examples.vqa_examples, vqa_capabilities("lite"), language=language)
    questions = set(offered_questions("lite", language))
    assert (rows or language != "en") and all(row in questions for row in rows)


def test_tiny_vqa_examples_answer(gradio_client):
    """One question per image (the example row): tiny's answers have no meaning to check,
    and every offered one of an answer-anything model goes through the same call."""
    rows = offered(examples.vqa_examples, vqa_capabilities("tiny"), language_of=question_language)
    for language, (image, question) in rows:
        visitor = Visitor(gradio_client, language)
        answers, notes = visitor.predict(asset(image.image), question.text, api_name="/vqa")
        assert isinstance(notes, str) and RANDOM_NOTE[language] in notes
        assert all(0.0 <= p <= 1.0 for p in confidences(answers).values())


# -- Sentiment -----------------------------------------------------------------------------
def ask_sentiment(client, example):
    picture = asset(example.image) if example.image else None
    return client.predict(
        example.text, picture, example.fusion, example.text_weight, api_name="/sentiment"
    )


@pytest.mark.parametrize(
    ("language", "example"),
    offered(examples.sentiment_examples, "lite"),
    ids=lambda v: v if isinstance(v, str) else f"{v.fusion}-{v.text[:20]}",
)
def test_lite_sentiment_example_reads_as_intended(offline_client, language, example):
    _, _, notes, raw = ask_sentiment(Visitor(offline_client, language), example)
    assert raw["label"] == example.expect, raw["probabilities"]
    pulls = {m["pull"] for m in raw["modalities"].values()} - {"neither"}
    if example.disagree:
        assert pulls == {"positive", "negative"}, raw["modalities"]
    if language == "en":  # the note's wording (the API's JSON above is the same in any)
        assert ("disagree" in notes) == example.disagree, notes


def test_lite_offers_a_real_disagreement_first():
    first = examples.sentiment_examples("lite")[0]
    assert first.disagree and first.image and first.text


def test_tiny_sentiment_examples_answer(gradio_client):
    for language, example in offered(examples.sentiment_examples, "tiny"):
        _, _, notes, raw = ask_sentiment(Visitor(gradio_client, language), example)
        assert raw["label"] in CLASSES and raw["fusion"] == example.fusion
        assert isinstance(notes, str)


def test_the_train_command_shown_for_early_fusion_is_the_real_one():
    from mmdemo.models.backends.fusion_head import TRAIN_COMMAND as REAL

    assert TRAIN_COMMAND == REAL


# -- what the page offers, read from the running app's config ---------------------------
def page_props(client) -> dict[str, dict]:
    """{elem_id: props} of the served page's components (the config the client read)."""
    return {
        c["props"]["elem_id"]: c["props"]
        for c in client.config["components"]
        if c.get("props", {}).get("elem_id")
    }


DEVELOPER_TEXT = ("MMDEMO_", "python -m", "`", "Salesforce/", "laion2b", "BLIP", "DistilBERT")


def test_lite_page_offers_only_what_its_models_do(offline_client):
    props = page_props(offline_client)
    for intro in ("caption-intro", "classify-intro", "vqa-intro", "sentiment-intro"):
        text = props[intro]["value"]
        assert not [word for word in DEVELOPER_TEXT if word in text], (intro, text)
    assert "VADER" in props["sentiment-intro"]["value"]
    assert [name for _, name in props["sentiment-fusion"]["choices"]] == ["late", "caption"]
    assert TRAIN_COMMAND in props["sentiment-early-needs"]["value"]
    assert not props["vqa-fusion"]["visible"]  # until a shapes image is chosen
    assert not props["caption-mode"]["visible"]  # label-based: no decoding modes


def test_tiny_page_intros_name_its_models_and_say_they_are_random(gradio_client):
    props = page_props(gradio_client)
    assert "BLIP, tiny random (tests)** (random test weights)" in props["caption-intro"]["value"]
    assert "answers open questions about any photo" in props["vqa-intro"]["value"]
    assert props["caption-mode"]["visible"]  # the default, BLIP, has two decoding modes
