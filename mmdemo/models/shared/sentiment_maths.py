"""Probability arithmetic shared by the sentiment backends and the fusions (numpy-free).

Why one place: the text model (two classes), the image prompts (a happy-vs-sad score) and
the late fusion all speak the same three classes, and each conversion is a one-line
formula worth testing on its own.

Two-class scores become three classes with a neutral "none of the above" logit: for a
log-odds margin ``m`` (positive minus negative), the logits are ``-m/2`` (negative),
``ln w`` (neutral) and ``+m/2`` (positive). So:

* positive / negative keep exactly the model's own odds (``e^m``);
* neutral wins exactly when the two-class confidence is below ``neutral_below``
  (``w = sqrt(t / (1 - t))``; for ``t = 0.8``, ``w = 2``);
* at ``m = 0`` (no evidence either way) the result is (0.25, 0.5, 0.25) for ``t = 0.8``.

In closed form, with ``p`` the two-class P(positive): ``(1 - p, w*sqrt(p(1 - p)), p)``
normalised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mmdemo.core.sentiment_results import CLASSES

NEUTRAL_BELOW = 0.8  # two-class confidence under which "neutral" is the most probable class


def neutral_weight(neutral_below: float = NEUTRAL_BELOW) -> float:
    """``w`` such that neutral ties with the winner exactly at ``neutral_below`` confidence."""
    if not 0.5 <= neutral_below < 1.0:
        raise ValueError(f"neutral_below must be in [0.5, 1), not {neutral_below}")
    return math.sqrt(neutral_below / (1.0 - neutral_below))


def three_class_from_margin(
    margin: float, neutral_below: float = NEUTRAL_BELOW
) -> tuple[float, float, float]:
    """(negative, neutral, positive) from a log-odds margin (logit positive - logit negative)."""
    m = float(margin)
    if math.isnan(m):
        raise ValueError("margin is NaN")
    m = max(-700.0, min(700.0, m))  # exp() range; beyond this the result is (0, 0, 1) anyway
    logits = (-m / 2.0, math.log(neutral_weight(neutral_below)), m / 2.0)
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    return (exps[0] / total, exps[1] / total, exps[2] / total)


def three_class_from_binary(
    p_positive: float, neutral_below: float = NEUTRAL_BELOW
) -> tuple[float, float, float]:
    """(negative, neutral, positive) from a two-class P(positive) (see the module docstring)."""
    p = min(max(float(p_positive), 1e-300), 1.0 - 1e-16)
    return three_class_from_margin(math.log(p) - math.log1p(-p), neutral_below)


def normalise(probabilities: Sequence[float]) -> tuple[float, float, float]:
    """Three non-negative numbers scaled to sum to 1 (refuses NaN, negatives, all zeros)."""
    values = [float(p) for p in probabilities]
    if len(values) != len(CLASSES):
        raise ValueError(f"expected {len(CLASSES)} probabilities, got {len(values)}")
    if any(math.isnan(v) or v < 0 for v in values) or sum(values) <= 0:
        raise ValueError(f"not a probability vector: {values}")
    total = sum(values)
    return (values[0] / total, values[1] / total, values[2] / total)


def late_fusion(
    text: Sequence[float], image: Sequence[float], text_weight: float
) -> tuple[float, float, float]:
    """Weighted average of two (negative, neutral, positive) vectors (a linear opinion pool).

    ``text_weight`` 1 gives the text's probabilities, 0 the image's; the result sums to 1
    whenever the inputs do (it is renormalised against rounding).
    """
    w = check_weight(text_weight)
    t, i = normalise(text), normalise(image)
    return normalise([w * a + (1.0 - w) * b for a, b in zip(t, i, strict=True)])


def check_weight(weight: float) -> float:
    """A weight in [0, 1], or ValueError (callers turn it into a user-facing message)."""
    if isinstance(weight, bool):
        raise ValueError(f"weight must be a number between 0 and 1, not {weight!r}")
    try:
        w = float(weight)
    except (TypeError, ValueError):
        raise ValueError(f"weight must be a number between 0 and 1, not {weight!r}") from None
    if math.isnan(w) or not 0.0 <= w <= 1.0:
        raise ValueError(f"weight must be between 0 and 1, not {weight!r}")
    return w
