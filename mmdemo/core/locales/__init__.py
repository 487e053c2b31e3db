"""Chinese translations of the package's messages, one module per area (``zh_*.py``).

Each module defines ``ZH: dict[str, str]``: English template -> Chinese template, with the
same ``{placeholders}`` (see ``mmdemo.core.i18n``). Every ``zh_*.py`` here is found by
``pkgutil`` and merged, so an area's author adds a file without touching this one.

Why each key is also entered in its browser wording (``errors.for_browser``): the toast a
visitor reads has no markdown marks and no server paths, and that is the text translated;
a raise site's English (with its backticks) stays the one key its author writes.

A template defined twice with different translations is kept as first seen (modules in
name order) and listed in ``CONFLICTS``: a unit test fails on it, naming both, instead of
the whole app failing to import over one sentence.

Placeholder names say what their text is: those in ``PROSE`` (a ``{problem}``, a
``{hint}``, a ``{kind}`` of name...) carry English sentences or phrases that must
themselves have a template; any other placeholder carries a value shown as it is (a file
name, a number, a model id, the visitor's own input). The tests use that to find what a
translation would leave in English (``tests/support/catalogue.py``).
"""

from __future__ import annotations

import importlib
import pkgutil

from mmdemo.core.errors import for_browser

ZH: dict[str, str] = {}
CONFLICTS: list[str] = []

# Placeholders whose text is English from the package (translated through its own entry);
# every other placeholder is a value kept verbatim.
PROSE = frozenset(
    {"problem", "hint", "reason", "kind", "what", "action", "form", "formats", "where", "note"}
)


def _add(module: str, english: str, chinese: str) -> None:
    kept = ZH.setdefault(english, chinese)
    if kept != chinese:
        CONFLICTS.append(f"{module}: {english!r} is translated twice: {kept!r} / {chinese!r}")


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("zh_")):
    for _english, _chinese in importlib.import_module(f"{__name__}.{_module}").ZH.items():
        _add(_module, _english, _chinese)
        if for_browser(_english) != _english:
            _add(_module, for_browser(_english), for_browser(_chinese))
