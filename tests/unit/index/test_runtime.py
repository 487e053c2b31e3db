"""What the index takes from the process: faiss loads lazily, the clock is UTC."""

from __future__ import annotations

import re
import subprocess
import sys

from mmdemo.index import runtime


def test_importing_the_module_does_not_import_faiss():
    code = "import sys, mmdemo.index; print('faiss' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_now_is_utc_to_the_second():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", runtime.now())
