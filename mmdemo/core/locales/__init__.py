"""Chinese translations of the package's messages, one module per area (``zh_*.py``).

Each module defines ``ZH: dict[str, str]``: English template -> Chinese template, with the
same ``{placeholders}`` (see ``mmdemo.core.i18n``). They are merged here; a template defined
twice with different translations is an error, found at import.
"""

from __future__ import annotations

import importlib
import pkgutil

ZH: dict[str, str] = {}

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("zh_")):
    for _english, _chinese in importlib.import_module(f"{__name__}.{_module}").ZH.items():
        if ZH.get(_english, _chinese) != _chinese:
            raise ValueError(f"{_module}: {_english!r} is translated twice, differently")
        ZH[_english] = _chinese
