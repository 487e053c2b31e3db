"""Pieces of a tab with a job of their own: one file per panel, each with a ``build`` that lays
its components out inside the tab that calls it and wires their events.

Why not more code in the tab file: a tab is layout and events for one task (``ui/tabs/``);
a panel the Search tab and the Explore tab both show, or a feature big enough to read on its
own (query arithmetic, near-duplicates, "why this match"), lives here instead.
"""
