"""Models: the backend registry, the presets, and one file per backend.

``registry`` discovers the backends' ``SPECS``; ``presets`` maps each preset to the backends
serving each task; ``protocols`` says what a backend of each task offers; ``base`` is the
shape they share. Only ``mmdemo.serving`` builds backends (through each spec's ``load``).
Importing this package imports no torch.
"""
