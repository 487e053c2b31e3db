"""The message catalogue: language tags, whole-template matching, composed messages, and a
sweep of the package's raise sites: each one a browser visitor can reach has its Chinese."""

import ast
import functools
import itertools
import re
from pathlib import Path

import pytest

import mmdemo
from mmdemo.core import errors, i18n
from mmdemo.core.errors import browser_message, for_browser
from mmdemo.core.i18n import _PLACEHOLDER
from mmdemo.core.locales import CONFLICTS, PROSE, ZH
from tests.support.catalogue import english_left


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-CN", "zh"),
        ("zh-Hans-CN", "zh"),
        ("zh_TW", "zh"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("fr-FR,en;q=0.5", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_normalise_language(tag, expected):
    assert i18n.normalise_language(tag) == expected


def test_english_is_returned_unchanged():
    message = "Unknown preset 'x'. Valid choices: full, lite."
    assert i18n.translate(message, "en") == message


def test_a_template_translates_with_its_values():
    out = i18n.translate("Unknown preset 'x'. Valid choices: full, lite.", "zh")
    assert out == "未知的预设 'x'。可选：full, lite。"


def test_composed_message_translates_part_by_part():
    message = "cat.png: not an image. Upload a JPEG, PNG, WebP, HEIC, BMP or GIF image."
    out = i18n.translate(message, "zh")
    assert out.startswith("cat.png：")
    assert out.endswith("请上传 JPEG、PNG、WebP、HEIC、BMP 或 GIF 图片。")


def test_a_message_without_entry_stays_english():
    assert i18n.translate("Something new happened.", "zh") == "Something new happened."
    assert not i18n.translated("Something new happened.")


def test_every_entry_keeps_its_placeholders_and_is_chinese():
    i18n._templates()  # raises on a placeholder mismatch
    for english, chinese in ZH.items():
        assert i18n.has_cjk(chinese), english


def test_has_cjk():
    assert i18n.has_cjk("一只猫") and i18n.has_cjk("a cat，") and not i18n.has_cjk("a cat")


# -- the catalogue as a whole ---------------------------------------------------------------


def test_no_template_is_translated_twice_differently():
    assert not CONFLICTS, "\n".join(CONFLICTS)


def test_a_key_is_also_found_in_its_browser_wording():
    # OFFLINE_HINT is written with backticks; the toast (for_browser) has none
    hint = "On a machine with internet, run `python -m mmdemo download --preset full --dir PATH`"
    browser = for_browser(hint)
    assert "`" not in browser
    assert [key for key in ZH if key.startswith(browser)]


def test_english_left_names_the_part_without_a_template():
    known = "cat.png: file not found. Check the path, or upload the image again."
    assert i18n.translated(known) and english_left(known) == []
    unknown = "cat.png: a problem nobody wrote down. Check the path, or upload the image again."
    assert i18n.translated(unknown)  # the frame matched...
    assert english_left(unknown) == ["a problem nobody wrote down"]  # ...its problem did not
    assert english_left("Something new happened.") == ["Something new happened."]


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        # a decoder's words inside a problem, the visitor's own value, pydantic's words
        (
            "t.png: the image data is corrupt or truncated (OSError: image file is truncated). "
            "Re-export or re-download the file and try again.",
            "OSError: image file is truncated",
        ),
        ("The number of results must be a whole number, not {'k': 1}.", "{'k': 1}"),
        (
            "Input 1 (upload) of /classify must be an uploaded file, as "
            'gradio_client.handle_file(path) sends it ({"path": ..., "meta": {"_type": '
            '"gradio.FileData"}}, the path one that /gradio_api/upload returned), not this '
            "list (Input should be a valid dictionary or instance of ImageData).",
            "Input should be a valid dictionary or instance of ImageData",
        ),
    ],
)
def test_a_value_shown_as_it_is_is_not_mangled_by_a_short_template(message, kept):
    # the matcher translates every captured value it finds a template for: a template that
    # is mostly placeholders ("{file} is truncated") would rewrite these
    assert kept in i18n.translate(message, "zh")


# What a non-prose placeholder may carry, shown as it is: in the slots for a library's own
# words ({error}, {detail}) a decoder's or pydantic's sentence, in the others one token (a
# sentence there would be cut at the template's own words: a limit of whole-template
# matching, met by no real value - file names, ids, model names).
LIBRARY_WORDS = ("image file is truncated", "Input should be a valid string", "cannot identify")
TOKEN = "odd_name-1.png"
# A value with an entry, for each prose placeholder, so the rest of the message translates.
PROSE_SAMPLES = {
    "problem": "file not found",
    "hint": "Upload a picture.",
    "reason": "the vocabulary does not fit the model",
    "kind": "fusion",
    "what": "The text",
    "action": "Resetting the shared gallery",
    "form": "a list of files, each an uploaded file, as gradio_client.handle_file(path) sends "
    'it ({"path": ..., "meta": {"_type": "gradio.FileData"}}, the path one that '
    "/gradio_api/upload returned)",
    "formats": "JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC",
    "where": "the local Hugging Face cache",
    "note": "Upload a picture.",  # any sentence with an entry: a backend's note in zh_sentiment
}


def test_every_value_shown_as_it_is_survives_every_template():
    """Each non-prose placeholder of every entry, filled with text that is not the
    package's own, keeps it word for word in the Chinese: no other entry rewrites it."""
    assert set(PROSE_SAMPLES) == set(PROSE)
    rewritten = []
    for english in ZH:
        names = set(_PLACEHOLDER.findall(english))
        for name in names - PROSE:
            for value in LIBRARY_WORDS if name in ("error", "detail") else (TOKEN,):
                message = english
                for other in names:
                    filler = value if other == name else PROSE_SAMPLES.get(other, "7")
                    message = message.replace(f"{{{other}}}", filler)
                chinese = i18n.translate(message, "zh")
                if value not in chinese:
                    rewritten.append(f"{english!r} ({name}={value!r}) -> {chinese!r}")
    assert not rewritten, "\n".join(rewritten)


# -- the sweep: every raise site a visitor can reach has its Chinese ------------------------

PACKAGE = Path(mmdemo.__file__).parent
SWEPT = ("core", "index", "services", "serving", "models", "ui")
# Raise sites no browser visitor reaches: their English is for the log, the CLI or a caller
# of the Python API, so they need no Chinese (see each reason).
NOT_VISITOR = {
    "core/config.py": "settings read from the environment at start-up: the log",
    "core/sentiment_sets.py": "the labelled sentiment sets the quality commands read (CLI)",
    "core/imaging.py:Image folder": "find_images: the index command's folder (CLI)",
    "index/validation.py": "the index's own argument checks; the services pass checked values",
    "index/vector_index.py": "update_meta changing an item's sha256: the Python API only",
    "models/presets.py": "MMDEMO_PRESET / MMDEMO_BACKENDS at start-up, or a preset table bug",
    "models/hub/preset_weights.py": "the download command (CLI)",
    "models/hub/folders.py:Could not load model {}: its spec": "a backend's SPECS written wrong",
    "models/registry.py:UnknownNameError": "registering or naming backends in code",
    "models/shared/hf_inputs.py:Item": "a caller of the Python API passing non-images",
    "models/backends/blip_caption.py:num_beams": "a Python API option; the page has none",
    "models/backends/blip_caption.py:top_p": "a Python API option; the page has none",
    "models/backends/zero_shot.py:{} {} characters long": (
        "_too_long's frame: its two wordings (The labels text is / The labels are) have theirs"
    ),
    "services/gallery.py:No images (jpg": "add_directory: the index command's folder (CLI)",
    "services/gallery.py:{} is not a folder": "add_directory (CLI)",
    "services/captioning.py": "the caption-gallery command's batch size (CLI)",
}
SAMPLE = "7"  # what a placeholder is filled with: a value, with no language of its own
ERRORS = {
    name: getattr(errors, name)
    for name in (
        "MMDemoError",
        "BadInputError",
        "BadImageError",
        "UnknownNameError",
        "NotAllowedError",
        "ModelLoadError",
        "MissingPackageError",
        "StorageError",
        "IndexCorruptError",
        "IndexMismatchError",
    )
}
ERRORS |= {"EnglishOnlyError": errors.BadInputError, "Error": errors.MMDemoError}


@functools.cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _assignments(body: list[ast.stmt], deep: bool) -> dict[str, list[ast.expr]]:
    """``NAME = <expr>`` in a module's body (``deep=False``) or anywhere in a function's
    (a local such as ``limits = f"between {low} and {high}" if ... else f"at least {low}"``)."""
    found: dict[str, list[ast.expr]] = {}
    nodes = [n for stmt in body for n in ast.walk(stmt)] if deep else body
    for node in nodes:
        single = isinstance(node, ast.Assign) and len(node.targets) == 1
        if single and isinstance(node.targets[0], ast.Name):
            found.setdefault(node.targets[0].id, []).append(node.value)
    return found


def _constants(path: Path) -> dict[str, list[ast.expr]]:
    """A module's constants, and the module constants it imports from the package."""
    tree = _parsed(path)
    found = _assignments(tree.body, deep=False)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mmdemo."):
            source = PACKAGE.parent / (node.module.replace(".", "/") + ".py")
            if source.is_file():
                imported = _assignments(_parsed(source).body, deep=False)
                for alias in node.names:
                    if alias.name in imported:
                        found.setdefault(alias.name, imported[alias.name])
    return found


def _texts(node: ast.expr, constants: dict[str, list[ast.expr]], depth: int = 0) -> list[str]:
    """The strings an argument can be, placeholders filled with SAMPLE (or with what the
    variable is assigned, where that is a string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        texts = [""]
        for part in node.values:
            if isinstance(part, ast.Constant):
                options = [part.value]
            else:
                options = _texts(part.value, constants, depth + 1)
            texts = [text + option for text in texts for option in options]
        return texts
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _texts(node.left, constants, depth), _texts(node.right, constants, depth)
        return [a + b for a in left for b in right]
    if isinstance(node, ast.IfExp):
        return _texts(node.body, constants, depth) + _texts(node.orelse, constants, depth)
    if isinstance(node, ast.Name) and node.id in constants and depth < 3:
        texts = [t for value in constants[node.id] for t in _texts(value, constants, depth + 1)]
        if all(text != SAMPLE for text in texts):
            return texts
    return [SAMPLE]


def _build(kind: str, args: list[str], ui: str | None) -> BaseException:
    cls = ERRORS[kind]
    if cls is errors.UnknownNameError:
        return cls(args[0], SAMPLE, ["a", "b"])
    if cls is errors.StorageError:
        return cls(args[0], OSError(28, "No space left on device"))
    if cls in (errors.MMDemoError, errors.BadInputError, errors.NotAllowedError):
        return cls(*args, ui=ui)
    return cls(*args)


def _error_calls(tree: ast.Module):
    """(error class name, call, enclosing function or None) for each ``SomeError(...)`` of
    ERRORS, and for each ``super().__init__(...)`` in a subclass of one (``NoFusionHeadError``
    composes its message there: it is checked as the ``ModelLoadError`` it builds)."""
    scopes = {
        id(inner): node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
    }  # the innermost function wins: ast.walk meets outer functions first
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [getattr(base, "id", getattr(base, "attr", "")) for base in node.bases]
            base = next((name for name in bases if name in ERRORS), None)
            for call in ast.walk(node) if base else ():
                func = getattr(call, "func", None)
                if (
                    isinstance(call, ast.Call)
                    and isinstance(func, ast.Attribute)
                    and func.attr == "__init__"
                    and isinstance(func.value, ast.Call)
                    and getattr(func.value.func, "id", "") == "super"
                ):
                    yield base, call, scopes.get(id(call))
        elif isinstance(node, ast.Call):
            func = node.func
            kind = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if kind in ERRORS and (kind != "Error" or isinstance(func, ast.Attribute)):
                yield kind, node, scopes.get(id(node))


def _raise_sites():
    """(where, module, error class name, [browser message, ...]) for each site swept."""
    for folder in SWEPT:
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            relative = path.relative_to(PACKAGE).as_posix()
            if relative.startswith("core/locales/"):
                continue
            module = _constants(path)
            for kind, node, function in _error_calls(_parsed(path)):
                local = _assignments(function.body, deep=True) if function else {}
                constants = {**module, **local}
                options = [_texts(arg, constants) for arg in node.args]
                ui = [_texts(k.value, constants) for k in node.keywords if k.arg == "ui"]
                messages = []
                for args in itertools.product(*options):
                    for ui_text in ui[0] if ui else [None]:
                        messages.append(browser_message(_build(kind, list(args), ui_text)))
                yield f"{relative}:{node.lineno}", relative, kind, messages


def _skipped(relative: str, kind: str, message: str) -> str | None:
    """The NOT_VISITOR key that covers this message, if any."""
    for key in NOT_VISITOR:
        where, _, what = key.partition(":")
        if where != relative:
            continue
        if not what or what == kind or message.startswith(what.replace("{}", SAMPLE)):
            return key
    return None


def test_every_raise_site_a_visitor_reaches_has_its_chinese():
    sites = list(_raise_sites())
    assert len(sites) > 150  # the sweep found the raise sites (not an empty walk)
    missing, used = [], set()
    for where, relative, kind, messages in sites:
        for message in messages:
            skip = _skipped(relative, kind, message)
            used.add(skip)
            if skip or message == SAMPLE:
                continue  # SAMPLE: a message passed in a variable (its own site is swept)
            left = english_left(message)
            if left:
                missing.append(f"{where} {kind}: {left} in {message!r}")
    assert not missing, "no Chinese for:\n" + "\n".join(missing)
    assert not set(NOT_VISITOR) - used, "NOT_VISITOR names no raise site any more"


# -- what the banner says about the server, through the real code ---------------------------


@pytest.mark.parametrize(
    ("preset", "hub_answers"), [("tiny", None), ("auto", True), ("auto", False)]
)
def test_the_banner_says_in_chinese_why_this_preset(preset, hub_answers, tmp_path):
    from mmdemo.core.config import Settings
    from mmdemo.serving.preset_choice import choose_preset

    settings = Settings(preset=preset, cache_dir=tmp_path / "empty")
    reason = choose_preset(settings, probe=lambda timeout: hub_answers).reason
    assert english_left(reason) == [], reason
    chinese = i18n.translate(reason, "zh")
    assert i18n.has_cjk(chinese)
    assert not [name for name in re.findall(r"\(([^)]*)\)", reason) if name not in chinese]
