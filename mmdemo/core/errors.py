"""The exceptions mmdemo raises on purpose, each carrying a message fit to show a user.

Why a small tree: the UI and the CLI catch ``MMDemoError`` once and show a clear sentence
(what, why, what to do) instead of a stack trace. Anything else that escapes is a bug and is
logged with its traceback.

Two audiences, one source: ``str(err)`` is the full wording for the CLI and the server log
(it may name server paths and ``python -m mmdemo`` commands). A browser user is shown
``browser_message(err)``: the error's ``ui`` wording where the page itself offers the remedy
(a button, not a command), else the same text - always through ``for_browser``, which drops
markdown markup and replaces server paths by their file names, so no raise site can leak
either. This module imports nothing from the package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# An absolute path of two parts or more (``/srv/app/index/x.npy``, ``C:\\data\\x.png``),
# not part of a URL, a word (``and/or``) or a relative path (``../x``), nor the app's own
# HTTP API (``/gradio_api/info``): the last part stays.
_POSIX_PATH = re.compile(r"(?<![\w.:/~-])(?!/gradio_api/)(?:/[\w.@+~-]+){2,}/?")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[\w .@+~-]+\\)*[\w.@+~-]+")
_MARKUP = (
    (re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)"), r"\1"),  # [text](url) -> text
    (re.compile(r"\*\*|`"), ""),  # bold and code marks
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *emphasis*
    (re.compile(r"^\s{0,3}(?:#{1,6}|>)\s+", re.M), ""),  # headings, quotes
    # Gradio renders a toast as HTML: a tag-like <placeholder> (or an echoed <b>) would
    # vanish or render, so its brackets become the look-alike guillemets
    (re.compile(r"<([A-Za-z/!][^<>\n]*)>"), "\u2039\\1\u203a"),
)


def _last_part(match: re.Match) -> str:
    parts = [part for part in re.split(r"[/\\]", match.group(0)) if part]
    return parts[-1] if parts else match.group(0)


def for_browser(message: str) -> str:
    """``message`` as plain text fit for a browser toast: no markdown marks, no HTML tags,
    and every absolute server path replaced by its last part (``/srv/x/index`` -> ``index``).

    Why plain text rather than HTML: the same string is the toast and the error a
    ``gradio_client`` caller reads."""
    text = _WINDOWS_PATH.sub(_last_part, str(message))
    text = _POSIX_PATH.sub(_last_part, text)
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text


def browser_message(err: BaseException) -> str:
    """What a browser user is shown for ``err``: its ``ui`` wording (else ``str(err)``),
    through ``for_browser``."""
    return for_browser(getattr(err, "ui", None) or str(err))


def shown(value: object, limit: int = 40) -> str:
    """A short ``repr`` of a value a caller sent, for a message: never the whole of a huge
    value (a 100,000-character text), and never an error of its own (an int too long for
    ``repr``)."""
    try:
        text = repr(value)
    except Exception:
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class MMDemoError(Exception):
    """Base class: ``str(err)`` is a complete, user-facing message (CLI and log).

    ``ui``: the browser's wording, when it differs - e.g. it names the page's button where
    the CLI wording names a command. Left out, the browser shows ``str(err)`` (cleaned).
    """

    def __init__(self, *args: object, ui: str | None = None):
        super().__init__(*args)
        self.ui = ui


class BadInputError(MMDemoError, ValueError):
    """The user gave a value we cannot use (empty query, unknown option...)."""


class UnknownNameError(BadInputError, KeyError):
    """A name that is not registered; the message lists the valid choices."""

    def __init__(self, kind: str, name: str, choices: Iterable[str]):
        self.kind = kind
        self.name = name
        self.choices = sorted(choices)
        listed = ", ".join(self.choices) or "(none registered)"
        super().__init__(f"Unknown {kind} {name!r}. Valid choices: {listed}.")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.args[0]


class BadImageError(BadInputError):
    """A file or upload that is not a usable image; names the file and the problem."""

    def __init__(self, filename: str, problem: str, hint: str = ""):
        self.filename = filename
        self.problem = problem
        self.hint = hint or "Upload a JPEG, PNG, WebP, HEIC, BMP or GIF image."
        super().__init__(f"{filename}: {problem}. {self.hint}")


class ModelLoadError(MMDemoError, RuntimeError):
    """Weights or code for a model could not be obtained; says which, why and what to do."""

    def __init__(self, model: str, reason: str, hint: str):
        self.model = model
        self.reason = reason
        self.hint = hint
        super().__init__(f"Could not load model {model}: {reason}. {hint}")


class MissingPackageError(ModelLoadError):
    """An optional package a backend needs is not installed; names the pip command."""

    def __init__(self, model: str, package: str, pip_name: str | None = None):
        self.package = package
        pip_name = pip_name or package
        super().__init__(
            model,
            f"the Python package {package!r} is not installed",
            f"Install it with: pip install {pip_name}",
        )


# The page's remedy for an index that does not fit the model (the Gallery tab's button).
REEMBED_ON_THE_PAGE = (
    "Re-embed the gallery with the active model (in the Gallery tab), or switch back to the "
    "model that built it."
)


class IndexError_(MMDemoError):
    """Base for problems with a saved index (named with a trailing _ to avoid the builtin)."""


class IndexMismatchError(IndexError_):
    """A saved index was built by a different embedding model (or dimension)."""

    def __init__(self, directory: str, found: str, expected: str):
        self.directory = directory
        self.found = found
        self.expected = expected
        problem = (
            f"was built with {found}, but the active model is {expected}. Vectors from "
            "different models cannot be compared."
        )
        super().__init__(
            f"The index in {directory} {problem} Re-embed the images with the active model "
            f"(python -m mmdemo index DIR --index-dir {directory} --rebuild), or switch back "
            "to the model that built it.",
            ui=f"The gallery's index {problem} {REEMBED_ON_THE_PAGE}",
        )


class IndexCorruptError(IndexError_):
    """A saved index is unreadable or inconsistent."""

    def __init__(self, directory: str, problem: str):
        self.directory = directory
        self.problem = problem
        super().__init__(
            f"The index in {directory} cannot be read: {problem}. Rebuild it with "
            f"python -m mmdemo index DIR --index-dir {directory} --rebuild.",
            ui=f"The gallery's index cannot be read: {problem}. {REEMBED_ON_THE_PAGE}",
        )


class NotAllowedError(MMDemoError, PermissionError):
    """The visitor may not do this here (a shared gallery on a public server); says who may."""


class BusyError(MMDemoError, RuntimeError):
    """A long job (a chat reply, a drawn image) was refused because ``limit`` of its kind
    already run (``serving.long_jobs``): the visitor should simply try again shortly."""

    def __init__(self, what: str, limit: int):
        self.what = what
        self.limit = limit
        super().__init__(
            f"The server is busy {what} (limit: {limit} at once); try again in a moment."
        )


class StorageError(MMDemoError, OSError):
    """The server could not write a file (full disk, permissions): nothing was half-saved."""

    def __init__(self, what: str, err: OSError):
        self.what = what
        reason = err.strerror or str(err)
        super().__init__(
            f"The server could not save {what} ({reason}). Nothing was changed; try again "
            "later, or tell the server's owner."
        )
