"""The foundation every layer may use: settings, errors, results, image decoding, text checks.

Nothing here imports from the rest of the package, nor torch, faiss or gradio.
"""
