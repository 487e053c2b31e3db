"""The visitor's language, and translation of the package's own messages (errors, notes).

Why a catalogue keyed by the English text (the way gettext keys by msgid) rather than a
translation at every raise site: the CLI, the log and the API keep the English sentence
(``str(err)``); only what a browser visitor reads is translated, at the UI boundary, in the
language of that visitor's request. A raise site stays one English f-string.

An entry is an English template with ``{name}`` placeholders and its Chinese template with
the same placeholders (``mmdemo/core/locales/zh_*.py``). ``translate`` matches a message
against the templates as a whole; a placeholder's captured text is itself translated when a
template matches it, so composed messages (``"{problem}. {hint}"``) translate part by part.
A message with no entry stays English (and is logged once), so nothing is ever lost -
tests drive every refusal the app can give in Chinese and check none is left English.

The UI's own static strings (labels, buttons, intros) use Gradio's ``gr.I18n`` instead, in
``mmdemo/ui``; this module knows nothing of Gradio.
"""

from __future__ import annotations

import functools
import logging
import re

log = logging.getLogger(__name__)

LANGUAGES = ("en", "zh")  # English first: the default for the API, the CLI and the log
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese characters (or CJK punctuation / full-width forms)."""
    return bool(_CJK.search(text or ""))


def normalise_language(tag: str | None) -> str:
    """A language tag or an ``Accept-Language`` header -> ``"zh"`` or ``"en"``.

    ``"zh-CN"``, ``"zh-Hans"``, ``"zh-TW"``, ``"zh"`` -> ``"zh"`` (Simplified Chinese is the
    only Chinese we write; a Traditional reader reads it better than English). The first
    supported language in a header's preference order wins; anything else -> English."""
    for part in (tag or "").split(","):
        code = part.split(";")[0].strip().lower().replace("_", "-")
        base = code.split("-")[0]
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=1)
def _templates() -> tuple[tuple[re.Pattern, str, str], ...]:
    """(compiled English template, English, Chinese) - the most specific (longest literal
    text) first, so "Unknown preset {name}" wins over "Unknown {kind} {name}"."""
    from mmdemo.core.locales import ZH

    compiled = []
    for english, chinese in ZH.items():
        if set(_PLACEHOLDER.findall(english)) != set(_PLACEHOLDER.findall(chinese)):
            raise ValueError(f"zh entry {english!r}: placeholders differ from {chinese!r}")
        pattern = ""
        last = 0
        seen: set[str] = set()
        for match in _PLACEHOLDER.finditer(english):
            pattern += re.escape(english[last : match.start()])
            name = match.group(1)
            pattern += f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"
            seen.add(name)
            last = match.end()
        pattern += re.escape(english[last:])
        literal = len(_PLACEHOLDER.sub("", english))
        compiled.append((literal, re.compile(pattern, re.S), english, chinese))
    compiled.sort(key=lambda entry: -entry[0])
    return tuple((pattern, english, chinese) for _, pattern, english, chinese in compiled)


def translate(message: str, language: str) -> str:
    """``message`` (English, from anywhere in the package) in ``language``."""
    if normalise_language(language) == "en" or not message:
        return message
    found = _translate_zh(str(message), depth=0)
    if found is None:
        _log_missing(str(message))
        return str(message)
    return found


def _translate_zh(message: str, depth: int) -> str | None:
    stripped = message.strip()
    if not stripped:
        return message
    for pattern, _english, chinese in _templates():
        match = pattern.fullmatch(stripped)
        if match is None:
            continue
        values = {
            name: (_translate_zh(value, depth + 1) if depth < 4 else None) or value
            for name, value in match.groupdict().items()
        }
        return chinese.format(**values)
    return None


@functools.lru_cache(maxsize=512)
def _log_missing(message: str) -> None:
    log.info("no Chinese translation for message: %s", message[:200])


def translated(message: str) -> bool:
    """Whether the Chinese catalogue has an entry for ``message`` (for tests and audits)."""
    return _translate_zh(str(message), depth=0) is not None
