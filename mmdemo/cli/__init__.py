"""The command line: ``python -m mmdemo COMMAND``. ``main`` discovers the commands in
``cli/commands`` (one file each: ``NAME``, ``HELP``, ``add_arguments(parser)``, ``run(args)``);
``common`` holds the shared flags, settings and printing."""
