"""The exceptions mmdemo raises on purpose, each carrying a message fit to show a user.

Why a small tree: the UI and the CLI catch ``MMDemoError`` once and show ``str(err)``
(a clear sentence: what, why, what to do) instead of a stack trace. Anything else that
escapes is a bug and is logged with its traceback.
This module imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Iterable


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
    """Base class: ``str(err)`` is a complete, user-facing message."""


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
        self.hint = hint or "Upload a JPEG, PNG, WebP, BMP or GIF image."
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


class IndexError_(MMDemoError):
    """Base for problems with a saved index (named with a trailing _ to avoid the builtin)."""


class IndexMismatchError(IndexError_):
    """A saved index was built by a different embedding model (or dimension)."""

    def __init__(self, directory: str, found: str, expected: str):
        self.directory = directory
        self.found = found
        self.expected = expected
        super().__init__(
            f"The index in {directory} was built with {found}, but the active model is "
            f"{expected}. Vectors from different models cannot be compared. Re-embed the "
            f"images with the active model (python -m mmdemo index DIR --index-dir "
            f"{directory} --rebuild), or switch back to the model that built it."
        )


class IndexCorruptError(IndexError_):
    """A saved index is unreadable or inconsistent."""

    def __init__(self, directory: str, problem: str):
        self.directory = directory
        self.problem = problem
        super().__init__(
            f"The index in {directory} cannot be read: {problem}. Rebuild it with "
            f"python -m mmdemo index DIR --index-dir {directory} --rebuild."
        )


class NotAllowedError(MMDemoError, PermissionError):
    """The visitor may not do this here (a shared gallery on a public server); says who may."""


class StorageError(MMDemoError, OSError):
    """The server could not write a file (full disk, permissions): nothing was half-saved."""

    def __init__(self, what: str, err: OSError):
        self.what = what
        reason = err.strerror or str(err)
        super().__init__(
            f"The server could not save {what} ({reason}). Nothing was changed; try again "
            "later, or tell the server's owner."
        )
