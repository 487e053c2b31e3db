"""Text sentiment with VADER: a rule-based English lexicon, no weights, milliseconds on a CPU.

Why VADER for the ``lite`` preset: it needs no download and no torch, and it handles the
things a bag-of-words baseline gets wrong most often (negation, "very", "but", ALL CAPS, "!!",
emoticons and emoji). Its limits are real and documented in docs/quality.md: English only,
no sarcasm, no slang, no world knowledge ("2,000 layoffs" carries no sentiment words).

Why not relabel VADER's ``neg``/``neu``/``pos``: those are the shares of the text's words in
each polarity, so ``neu`` dominates almost every sentence ("I love this" is 32% neutral).
The probabilities here come from VADER's ``compound`` score instead, through a softmax whose
arg-max is exactly VADER's own rule (``compound >= 0.05`` positive, ``<= -0.05`` negative,
else neutral) and whose two slopes were fitted on assets/quality/sentiment_en.tsv
(see ``probabilities_from_compound``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from importlib import metadata

import torch

from mmdemo.core.errors import BadInputError
from mmdemo.core.sentiment_results import SentimentResult
from mmdemo.core.text import latin_share, mostly_non_latin
from mmdemo.models.base import Backend, LoadContext, require_package
from mmdemo.models.registry import BackendSpec

log = logging.getLogger(__name__)

# VADER's standard decision band (from its README): |compound| < 0.05 is neutral.
NEUTRAL_BAND = 0.05

# Softmax slopes, fitted by minimising the log loss of ``probabilities_from_compound`` on the
# 190 labelled sentences of assets/quality/sentiment_en.tsv (grid search, step 0.5;
# ``python -m mmdemo.quality.sentiment_eval --fit``): log loss 0.829 there (0.833 5-fold
# cross-validated), against 1.099 for a uniform guess and 4.3 for VADER's neg/neu/pos shares
# read as probabilities. When these say 80%, the label was right 81% of the time on that set.
# They change probabilities, never the label. At compound 0 (no sentiment words found) they
# give neutral 40% and 30% to each polarity: on that set such sentences were neutral only 44%
# of the time, because VADER misses many opinions (slang, sarcasm, unknown words).
POLAR_SLOPE = 1.5  # how fast positive and negative separate as |compound| grows
NEUTRAL_SLOPE = 4.0  # how fast "neutral" gives way once |compound| leaves the band

# VADER's run time grows faster than linearly with length (measured on a 2-core VM: 57 ms for
# 5,000 characters, 0.19 s for 10,000, 0.70 s for 20,000), and its compound score saturates
# at +-1 on long texts anyway, so only the first MAX_CHARS characters are scored.
MAX_CHARS = 5_000


def probabilities_from_compound(
    compound: float,
    polar_slope: float = POLAR_SLOPE,
    neutral_slope: float = NEUTRAL_SLOPE,
    band: float = NEUTRAL_BAND,
) -> tuple[float, float, float]:
    """(negative, neutral, positive) probabilities from VADER's compound score.

    Logits: negative ``a*(-c - t)``, neutral ``b*(t - |c|)``, positive ``a*(c - t)``, with
    ``t`` the neutral band. Positive beats neutral exactly when ``c > t`` (their difference is
    ``(a + b)*(c - t)``) and beats negative when ``c > 0``, so the arg-max is VADER's rule
    whatever the slopes (at ``c == t`` positive and neutral tie; the label follows VADER).
    """
    c = max(-1.0, min(1.0, float(compound)))
    logits = (
        polar_slope * (-c - band),
        neutral_slope * (band - abs(c)),
        polar_slope * (c - band),
    )
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    return (exps[0] / total, exps[1] / total, exps[2] / total)


def label_from_compound(compound: float, band: float = NEUTRAL_BAND) -> str:
    """VADER's published rule, kept verbatim so the label never depends on the calibration."""
    if compound >= band:
        return "positive"
    if compound <= -band:
        return "negative"
    return "neutral"


class VaderSentiment(Backend):
    """Three-class sentiment (negative, neutral, positive) from VADER's compound score.

    Input: any non-empty string. Texts longer than ``MAX_CHARS`` (5,000) characters are cut
    to their first 5,000 and ``details["note"]`` says so. Emoji-only text works (VADER maps
    each emoji to its name, e.g. 😍 to "smiling face with heart-eyes", and scores the name; some
    names such as "thumbs up" carry no sentiment and come out neutral, with a note). Text in
    other scripts comes out neutral, except for any English words or emoji in it, with a note
    that VADER only knows English. Other Latin-script languages are scored as if English.
    """

    task = "sentiment"

    def __init__(self, spec: BackendSpec, analyzer, version: str):
        super().__init__(
            spec,
            torch.device("cpu"),  # pure Python: it runs on the CPU whatever the preset's device
            torch.float32,
            model_label=f"VADER {version} (rule-based lexicon)",
        )
        self.analyzer = analyzer
        self.version = version

    def modules(self) -> list[torch.nn.Module]:
        return []  # a lexicon, no torch weights

    def analyze(self, text: str) -> SentimentResult:
        """Scores one text; raises BadInputError for empty or whitespace-only text."""
        if not isinstance(text, str):
            raise BadInputError(f"Sentiment needs text, got {type(text).__name__}.")
        stripped = text.strip()
        if not stripped:
            raise BadInputError("Enter some text to analyse; the text is empty.")
        notes: list[str] = []
        scored = stripped
        if len(stripped) > MAX_CHARS:
            scored = stripped[:MAX_CHARS]
            notes.append(
                f"Only the first {MAX_CHARS:,} of {len(stripped):,} characters were scored."
            )
        raw = self.analyzer.polarity_scores(scored)
        compound = float(raw["compound"])
        # A text mostly outside the Latin script: VADER only knows English, so it scores only
        # the English words and emoji in it (usually none: neutral).
        if mostly_non_latin(scored):
            notes.append(
                "VADER only knows English: words in other scripts carry no sentiment for it, "
                "so this text was scored on its English words and emoji only (if any)."
            )
        elif latin_share(scored) is None and compound == 0.0:
            notes.append(
                "No words, and VADER's emoji lexicon gives these symbols no sentiment "
                "(it scores an emoji by its name, e.g. 'thumbs up' has none)."
            )
        probs = probabilities_from_compound(compound)
        details: dict = {
            "compound": compound,
            "neg": float(raw["neg"]),
            "neu": float(raw["neu"]),
            "pos": float(raw["pos"]),
            "scored_chars": len(scored),
            "truncated": len(scored) < len(stripped),
        }
        if notes:
            details["note"] = " ".join(notes)
        label = label_from_compound(compound)
        return SentimentResult.of(probs, self.model_label, details, label=label)

    def analyze_many(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in order; VADER has no batching to gain from."""
        return [self.analyze(text) for text in texts]


def _version() -> str:
    try:
        return metadata.version("vaderSentiment")
    except metadata.PackageNotFoundError:
        return "(unknown version)"


def load(spec: BackendSpec, ctx: LoadContext) -> VaderSentiment:
    """Builds the analyser; VADER reads its two lexicon files here (about 10 ms)."""
    vader = require_package("vaderSentiment.vaderSentiment", "VADER sentiment", "vaderSentiment")
    backend = VaderSentiment(spec, vader.SentimentIntensityAnalyzer(), _version())
    log.info("Loaded %s for %s/%s", backend.model_label, spec.task, spec.name)
    return backend


SPECS = (
    BackendSpec(
        task="sentiment",
        name="vader",
        load=load,
        label="VADER (rule-based English lexicon)",
        description="VADER: a rule-based English sentiment lexicon (bundled with the "
        "vaderSentiment package)",
    ),
)
