"""The page in the visitor's language (English or Simplified Chinese), and the 中文/English switch.

Two kinds of text, two mechanisms (both measured in Chromium against Gradio 6.31):

* **Static text** - labels, buttons, tab titles, placeholders, fixed Markdown - is a key:
  ``t("classify.button")`` gives Gradio's ``I18nData``, and the browser translates it with the
  tables ``build_i18n()`` hands to ``launch(i18n=...)``. The switch changes Gradio's frontend
  locale in place, so these change at once, with no request. A handler may also return
  ``t(key)`` for a whole fixed sentence: Gradio translates a returned value only when it is
  one key (one marker per string), so composed text goes the other way:
* **Composed text** - the banner, an intro naming the model, a result message with counts,
  an error toast - is rendered on the server in the request's language:
  ``text(key, lang, **values)``, or ``core.i18n.translate`` for the package's own English
  messages (``localised``). The language of a request is the switch's cookie, else the
  browser's ``Accept-Language`` (``request_language``); with neither (the API, gradio_client,
  the CLI) it is English, so the API keeps English.

A module registers its strings once, at import: ``register({key: (english, chinese)})``; the
same ``{placeholders}`` in both, checked here. An unknown key fails when the page is built,
not in front of a visitor.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping

import gradio as gr
from gradio.i18n import I18nData

from mmdemo.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, translate

log = logging.getLogger(__name__)

COOKIE = "mmdemo_lang"  # set by the switch (a year); read by request_language
# Gradio's frontend locales that show our Chinese: it picks zh-TW for a Traditional browser,
# and Simplified Chinese reads better there than an English fallback.
FRONTEND_LOCALES = {"en": ("en",), "zh": ("zh-CN", "zh-TW")}
SWITCH_CHOICES = [("English", "en"), ("中文", "zh")]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TABLES: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}


def register(entries: Mapping[str, tuple[str, str]]) -> None:
    """Add a module's strings: ``{key: (english, chinese)}``; a key is registered once."""
    for key, (english, chinese) in entries.items():
        if key in _TABLES["en"] and (_TABLES["en"][key], _TABLES["zh"][key]) != (english, chinese):
            raise ValueError(f"UI string {key!r} is registered twice with different text")
        if set(_PLACEHOLDER.findall(english)) != set(_PLACEHOLDER.findall(chinese)):
            raise ValueError(f"UI string {key!r}: placeholders differ between en and zh")
        _TABLES["en"][key] = english
        _TABLES["zh"][key] = chinese


def _require(key: str) -> None:
    if key not in _TABLES["en"]:
        raise KeyError(f"UI string {key!r} is not registered (mmdemo.ui.i18n.register)")


def t(key: str) -> I18nData:
    """A static string, translated by the browser in its current locale."""
    _require(key)
    return I18nData(key)


def text(key: str, language: str | None = None, /, **values) -> str:
    """A string rendered here, in ``language`` (default: the current request's)."""
    _require(key)
    template = _TABLES[normalise_language(language or request_language())][key]
    return template.format(**values) if values else template


def i18n_key(value) -> str | None:
    """The key inside a ``t(key)`` value (an I18nData or its ``__i18n__{...}`` string form,
    which is what a component's label becomes when Gradio copies it), else None."""
    if isinstance(value, I18nData):
        return value.key
    if isinstance(value, str) and value.startswith("__i18n__"):
        try:
            key = json.loads(value[len("__i18n__") :]).get("key")
        except ValueError:
            return None
        return key if key in _TABLES["en"] else None
    return None


def resolved(value, language: str):
    """``value`` with every ``t(key)`` inside it rendered as text in ``language``.

    Why: a component returned as an update (``gr.Dataset(samples=..., components=...)``)
    carries its components' labels as I18nData in ``component_props``; Gradio's HTTP API
    serialises an update with plain ``json.dumps``, which fails on them (the whole event
    then dies). Server-rendered text is also what a switch needs anyway."""
    if isinstance(value, I18nData):
        return text(value.key, language) if value.key in _TABLES["en"] else value.key
    if isinstance(value, list | tuple):
        return type(value)(resolved(item, language) for item in value)
    if isinstance(value, dict):
        return {key: resolved(item, language) for key, item in value.items()}
    if isinstance(value, gr.components.Component):
        # an update is read from the constructor's arguments (Blocks.postprocess_data), a
        # component's config from its attributes: both get the rendered text
        args = getattr(value, "constructor_args", None)
        if isinstance(args, dict):
            args.update(resolved(dict(args), language))
        for name in ("component_props", "headers", "label", "info", "placeholder"):
            found = getattr(value, name, None)
            if found is not None:
                setattr(value, name, resolved(found, language))
    return value


def registered_keys() -> list[str]:
    """Every registered key (tests check each has both languages)."""
    return sorted(_TABLES["en"])


def build_i18n() -> gr.I18n:
    """The tables for ``launch(i18n=...)``: every registered key, per frontend locale."""
    tables = {}
    for language, locales in FRONTEND_LOCALES.items():
        # taken as they are: Gradio 6.31 looks a key up without ICU formatting (checked in
        # Chromium: braces, apostrophes and <details> markdown show as written)
        table = dict(_TABLES[language])
        for locale in locales:
            tables[locale] = table
    return gr.I18n(**tables)


def _current_request() -> gr.Request | None:
    """The request of the event being handled (Gradio's own context variable: set for every
    handler, including those that take no ``gr.Request`` argument)."""
    from gradio.context import LocalContext

    return LocalContext.request.get(None)


def request_language(request: gr.Request | None = None) -> str:
    """The switch's cookie, else the browser's Accept-Language; English for API clients."""
    request = request if request is not None else _current_request()
    if request is None:
        return DEFAULT_LANGUAGE
    try:
        chosen = request.cookies.get(COOKIE)
        if chosen in LANGUAGES:
            return chosen
        return normalise_language(request.headers.get("accept-language"))
    except Exception:  # a request object without headers (a test double, a websocket)
        return DEFAULT_LANGUAGE


def localised(message: str, language: str | None = None) -> str:
    """A package message (English) in the request's language (``core.i18n`` catalogue)."""
    return translate(message, language or request_language())


# -- the switch ----------------------------------------------------------------------------
# Gradio 6.31 picks its frontend locale from navigator.language and offers no setting that
# persists; its core module exports ``changeLocale`` (the footer's Settings panel uses it).
# The module is already loaded, so importing its URL again returns the same instance.
_CHANGE_LOCALE_JS = """
async function mmdemoSetLanguage(lang) {
  document.cookie = "__COOKIE__=" + lang + ";path=/;max-age=31536000;samesite=lax";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  const core = performance.getEntriesByType("resource").map((e) => e.name)
    .find((name) => /\\/assets\\/core-[^/]*\\.js$/.test(name));
  if (core) {
    const module = await import(core);
    if (module.changeLocale) module.changeLocale(lang === "zh" ? "zh-CN" : "en");
  }
  return lang;
}
""".replace("__COOKIE__", COOKIE)

# On load: the cookie if the visitor chose, else the browser's first English or Chinese
# preference (the same rule as core.i18n.normalise_language), applied and returned.
RESOLVE_JS = (
    "async () => {"
    + _CHANGE_LOCALE_JS
    + """
  const chosen = document.cookie.split("; ").find((c) => c.startsWith("__COOKIE__="));
  let lang = chosen ? chosen.split("=")[1] : null;
  if (lang !== "en" && lang !== "zh") {
    lang = "en";
    for (const tag of navigator.languages || [navigator.language]) {
      const base = (tag || "").toLowerCase().split("-")[0];
      if (base === "zh" || base === "en") { lang = base; break; }
    }
  }
  return await mmdemoSetLanguage(lang);
}""".replace("__COOKIE__", COOKIE)
)

SWITCH_JS = "async (lang) => {" + _CHANGE_LOCALE_JS + "\n  return await mmdemoSetLanguage(lang);\n}"


def language_switch() -> gr.Radio:
    """The visible 中文/English switch; no initial value, so loading always applies one."""
    return gr.Radio(
        SWITCH_CHOICES,
        value=None,
        show_label=False,
        container=False,
        elem_id="mmdemo-language",
        min_width=200,
        scale=0,
    )
