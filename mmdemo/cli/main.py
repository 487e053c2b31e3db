"""``python -m mmdemo COMMAND``: index, search, caption, vqa, sentiment, info, download, ...

Commands are discovered in ``cli/commands`` (one file each, see its ``__init__``). Only
the command being run gets its arguments added (``add_arguments`` may import heavy modules,
e.g. ``train``), so
``python -m mmdemo --help`` stays well under a second. Every command prints results on
stdout (``--json`` for machines) and on a user mistake prints one line to stderr and exits
with status 2 - never a traceback (``-v`` shows details).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from types import ModuleType

from mmdemo.cli import commands
from mmdemo.cli.common import warn
from mmdemo.core.errors import MMDemoError

log = logging.getLogger("mmdemo.cli")

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
DESCRIPTION = (
    "Command line: python -m mmdemo index | search | caption | vqa | sentiment | info | ..."
)


PARTS = ("NAME", "ORDER", "HELP", "add_arguments", "run")


def discover_commands() -> dict[str, ModuleType]:
    """NAME -> command module, in ``ORDER``; a module missing a part fails loudly."""
    found = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        missing = [part for part in PARTS if not hasattr(module, part)]
        if missing:
            raise TypeError(f"cli/commands/{info.name}.py lacks {', '.join(missing)}")
        found.append(module)
    return {m.NAME: m for m in sorted(found, key=lambda m: (m.ORDER, m.NAME))}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; arguments are added for the command named in ``argv`` (all if None)."""
    parser = argparse.ArgumentParser(prog="python -m mmdemo", description=DESCRIPTION)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for name, module in discover_commands().items():
        sub = subparsers.add_parser(
            name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP)
        )
        sub.set_defaults(command_module=module)
        if wanted is None or wanted == name:
            module.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.command_module.run(args)
    except MMDemoError as err:
        warn(f"error: {err}")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except Exception as err:  # a bug: one line unless -v asked for the traceback
        if getattr(args, "verbose", False):
            log.exception("Unexpected error")
        warn(f"internal error: {type(err).__name__}: {err} (run with -v for details)")
        return EXIT_INTERNAL_ERROR
