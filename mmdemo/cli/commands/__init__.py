"""One file per command. Each module has ``NAME`` (what is typed), ``ORDER`` (its place in
``--help``), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Importing a command module must stay
cheap (argparse only): heavy imports go inside ``run``, so ``--help`` answers at once."""
