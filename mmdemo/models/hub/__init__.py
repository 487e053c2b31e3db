"""Weights from the Hugging Face hub, and random twins for tests: one copy of each step.

``files`` (is it cached? fetch it), ``folders`` (a transformers model folder from a path,
the cache, the hub or a tiny build), ``tiny`` (random twins saved like hub snapshots) and
``preset_weights`` (what a preset needs, what is missing, download it).
"""
