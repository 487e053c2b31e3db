"""Every example the page offers, per preset and per capability, with what each must show.

Why one place with the intended result beside each example: an example is a promise made
to a first-time visitor. ``tests/integration/test_examples.py`` reads these same lists (the
tabs build their example rows and suggested questions from them) and drives every offered
example through the running app - in ``lite`` it checks the intended result (the top hit,
the right answer, the label, a disagreement), in ``tiny`` that it answers with the right
types. A new example is therefore tested the moment it is added, and one the preset cannot
do fails a test instead of a demo.

Examples differ per preset because the models do: CLIP (``full``) finds "outer space",
lite's label bridge does not. ``tiny`` mirrors ``full`` (same architectures, random
weights), so it gets ``full``'s examples. VQA questions are filtered by the kinds of
question the active model declares (``Capabilities.question_kinds``), never by its name.
Paths are relative to the assets folder (``Settings.assets_dir``). One file per tab
(``examples/<tab>.py``); this package re-exports them, so ``examples.<name>`` reads the same.
"""

# Every public name of each tab's file, so ``examples.<name>`` reads the same from anywhere
# (a name added to examples/<tab>.py is exported without touching this file).
from mmdemo.ui.examples.base import *  # noqa: F403
from mmdemo.ui.examples.caption import *  # noqa: F403
from mmdemo.ui.examples.classify import *  # noqa: F403
from mmdemo.ui.examples.search import *  # noqa: F403
from mmdemo.ui.examples.sentiment import *  # noqa: F403
from mmdemo.ui.examples.vqa import *  # noqa: F403
