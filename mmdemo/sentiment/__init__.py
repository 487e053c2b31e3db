"""Multimodal sentiment: text and image evidence, and the fusions that combine them.

``maths`` holds the pure probability arithmetic (the model backends use it too), ``result``
the typed results, and ``fusion`` the one orchestrator that the UI, the ``/sentiment``
endpoint and the CLI all call (``from mmdemo.sentiment.fusion import SentimentFusion``).
The models themselves live in ``mmdemo.models`` and only the serving module loads them.
Nothing is imported here, so a backend importing ``maths`` pulls in no orchestration.
"""
