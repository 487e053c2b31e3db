"""``python -m mmdemo``: the command line (see ``mmdemo.cli.main``)."""

import sys

from mmdemo.cli.main import main

sys.exit(main())
