"""``python -m mmdemo``: the command line (see ``mmdemo.cli``)."""

import sys

from mmdemo.cli import main

sys.exit(main())
