"""What tests and benchmarks share: the environment they run in, the real app as a process,
the ``python -m mmdemo`` runner, test images and a fake Hugging Face hub.

Import as ``tests.support.<module>`` (the repository root is on ``sys.path``: pytest's
``pythonpath = ["."]``, and benchmarks run as ``python -m bench.<name>`` from the root).
"""
