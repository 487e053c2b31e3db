"""What the Chinese catalogue would leave in English: for the tests that drive refusals.

Why not ``i18n.translated`` alone: a composed message ("{filename}: {problem}. {hint}")
counts as translated as soon as its frame matches, even when its problem has no entry and
stays English inside the Chinese. ``english_left`` follows the matcher (the same templates,
in the same order) and names each such part, using ``locales.PROSE`` to tell a placeholder
that carries the package's English from one that carries a value shown as it is.
"""

from __future__ import annotations

import re

from mmdemo.core.i18n import _templates
from mmdemo.core.locales import PROSE

_LETTERS = re.compile(r"[A-Za-z]")


def english_left(message: str) -> list[str]:
    """``[]`` when ``message`` translates whole; the whole message when no template matches;
    else the text of each ``PROSE`` placeholder that has no template of its own."""
    return _left(str(message), depth=0)


def _left(text: str, depth: int) -> list[str]:
    stripped = text.strip()
    if not _LETTERS.search(stripped):  # a number, a symbol: no language to translate
        return []
    for pattern, _english, _chinese in _templates():  # the order i18n.translate tries them
        match = pattern.fullmatch(stripped)
        if match is None:
            continue
        left: list[str] = []
        for name, value in match.groupdict().items():
            if name in PROSE:  # i18n translates captured values 4 levels deep at most
                left += _left(value, depth + 1) if depth < 4 else [value]
        return left
    return [stripped]
