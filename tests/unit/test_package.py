"""The package stays light where it promises to: importing it, and the CLI's --help.

Why: ``import mmdemo`` is done by tools and by every command; torch alone costs seconds on
a 2-core machine. Checked in a fresh interpreter, by which modules got imported (not by
timing, which a loaded machine would make flaky).
"""

from __future__ import annotations

from tests.support.app_process import run_mmdemo, run_python

HEAVY = ("torch", "faiss", "gradio", "transformers", "open_clip")


def imported_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = run_python(script)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_import_mmdemo_and_its_light_layers_import_no_heavy_library():
    loaded = imported_after(
        "import mmdemo, mmdemo.core.config, mmdemo.core.errors, mmdemo.core.results, "
        "mmdemo.core.text, mmdemo.models, mmdemo.models.presets, mmdemo.serving, mmdemo.index"
    )
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}


def test_cli_help_imports_no_heavy_library():
    loaded = imported_after(
        "from mmdemo.cli.main import build_parser\n"
        "import contextlib, io\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    build_parser(['--help']).parse_args(['--help'])"
    )
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}


def test_cli_help_lists_every_command():
    out = run_mmdemo("--help", timeout=60)
    assert out.returncode == 0, out.stderr
    for command in ("index", "search", "caption", "vqa", "sentiment", "caption-gallery", "info",
                    "download", "train"):  # fmt: skip
        assert command in out.stdout
