"""Helpers several backends use, so that no backend imports another.

ImageNet class names and class scores, the on-disk prompt-vector cache, sentiment
arithmetic, open_clip model building, VQA input checks and the easy-VQA shapes world.
"""
