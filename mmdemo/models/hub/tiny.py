"""Tiny random twins of hub models, saved to a folder exactly as a hub snapshot would be.

Why save them to a folder: the ``tiny`` backends then load through exactly the code the
``full`` backends use (``from_pretrained(folder)`` with the model's own processor), so tests
exercise the real loading, preprocessing, generation and decoding with no network. This
module is the one copy of the machinery (a seeded build into a temporary folder renamed
into place, a small WordPiece vocabulary that spells any Latin word with ``##`` letters)
and of the builders several backends share (BLIP caption / VQA, ViLT, DistilBERT). A
backend with a twin of its own passes its own builder to ``tiny_model_dir``.
Results are meaningless: specs using these must be ``is_random=True``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from mmdemo.core.config import Settings

log = logging.getLogger(__name__)

TINY_VERSION = 1  # bump when a builder changes, so folders built by older code are not reused

_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Words a caption or a question is likely to use; anything else is spelled with letters.
_COMMON_WORDS = """
a an the of on in at with and or is are there this that what which who where how many
color colour shape photo picture image man woman person people child dog cat bird car
tree sky grass water table cup coffee food street building red green blue yellow black
white brown small large sitting standing next to yes no one two three four
"""
_LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
_SYMBOLS = list("0123456789?.,!'-")
# ViLT classifies over a fixed answer list (3,129 for VQAv2); the tiny one has these.
TINY_ANSWERS = [
    *("yes", "no", "0", "1", "2", "3"),
    *("red", "green", "blue", "white", "black"),
    *("dog", "cat", "man", "woman", "coffee", "tree", "car"),
    *("circle", "rectangle", "triangle"),
]

_HIDDEN = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
# 0.1 rather than the usual 0.02: spread-out logits make captions differ between images and
# keep beam search away from near-ties, so batched and single results agree.
_INIT = 0.1


def tiny_vocab() -> list[str]:
    """Special tokens, common words, then letters, so that no Latin word becomes [UNK]."""
    pieces = _SPECIAL + _COMMON_WORDS.split() + _LETTERS + [f"##{c}" for c in _LETTERS] + _SYMBOLS
    return list(dict.fromkeys(pieces))


def _tokenizer(blip: bool):
    """A BERT WordPiece tokenizer on the tiny vocabulary; BLIP's adds [DEC] (bos) and [ENC]."""
    from transformers import BertTokenizer

    vocab = {piece: i for i, piece in enumerate(tiny_vocab())}
    tokenizer = BertTokenizer(vocab=vocab, model_max_length=64)
    if blip:  # as Salesforce's BLIP tokenizers: bert-base-uncased + these two tokens
        tokenizer.add_special_tokens({"bos_token": "[DEC]"})
        tokenizer.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    return tokenizer


def _blip_config(tokenizer):
    from transformers import BlipConfig

    text = dict(
        _HIDDEN,
        vocab_size=len(tokenizer),
        max_position_embeddings=64,
        bos_token_id=tokenizer.bos_token_id,
        sep_token_id=tokenizer.sep_token_id,
        eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=_INIT,
    )
    vision = dict(_HIDDEN, image_size=32, patch_size=8, initializer_range=_INIT)
    return BlipConfig(
        text_config=text,
        vision_config=vision,
        projection_dim=16,
        image_text_hidden_size=16,
        initializer_range=_INIT,
    )


def _blip_processor(tokenizer):
    from transformers import BlipImageProcessor, BlipProcessor

    return BlipProcessor(BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer)


def _build_blip(model_class: str, folder: Path) -> None:
    import transformers

    tokenizer = _tokenizer(blip=True)
    model = getattr(transformers, model_class)(_blip_config(tokenizer))
    model.save_pretrained(folder)
    _blip_processor(tokenizer).save_pretrained(folder)


def build_blip_caption(folder: Path) -> None:
    """A 2-layer, 32-wide BLIP captioner on 32-px images (~0.2 M parameters)."""
    _build_blip("BlipForConditionalGeneration", folder)


def build_blip_vqa(folder: Path) -> None:
    """A 2-layer, 32-wide BLIP VQA model (vision encoder, question encoder, answer decoder)."""
    _build_blip("BlipForQuestionAnswering", folder)


def build_vilt_vqa(folder: Path) -> None:
    """A 2-layer, 32-wide ViLT with 32-px patches on 64-px images and ``TINY_ANSWERS``."""
    from transformers import ViltConfig, ViltForQuestionAnswering, ViltImageProcessor, ViltProcessor

    tokenizer = _tokenizer(blip=False)
    config = ViltConfig(
        **_HIDDEN,
        vocab_size=len(tokenizer),
        max_position_embeddings=40,  # ViLT's real text limit, so truncation is exercised
        image_size=64,
        patch_size=32,
        initializer_range=_INIT,
        id2label=dict(enumerate(TINY_ANSWERS)),
        label2id={answer: i for i, answer in enumerate(TINY_ANSWERS)},
    )
    ViltForQuestionAnswering(config).save_pretrained(folder)
    images = ViltImageProcessor(size={"shortest_edge": 64}, size_divisor=32)
    ViltProcessor(images, tokenizer).save_pretrained(folder)


def build_distilbert_sst2(folder: Path) -> None:
    """A 2-layer, 32-wide DistilBERT sentiment classifier (NEGATIVE/POSITIVE, like SST-2).

    The tokenizer files are written the way the hub repo ships them (``vocab.txt`` plus a
    two-key ``tokenizer_config.json``, no ``tokenizer.json``), so the tiny model exercises
    the same tokenizer construction as the real one. 64 positions, so that truncation of
    long texts is exercised with short ones.
    """
    import json

    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    vocab = tiny_vocab()
    config = DistilBertConfig(
        vocab_size=len(vocab),
        max_position_embeddings=64,
        n_layers=2,
        n_heads=2,
        dim=32,
        hidden_dim=64,
        initializer_range=_INIT,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    settings = {"model_max_length": 64, "do_lower_case": True}
    (folder / "tokenizer_config.json").write_text(json.dumps(settings), encoding="utf-8")


# Common characters of Chinese reviews: BERT's tokenizer splits Chinese into single characters,
# so these are enough for Chinese text to reach the tiny model as real ids, not [UNK].
_CHINESE_CHARS = "的了是不我这个很太好差没有吗呢也都就和在人们说看用买喜欢讨厌真棒烂贵便宜快慢"


def build_distilbert_multilingual_sentiment(folder: Path) -> None:
    """A 2-layer, 32-wide *cased* DistilBERT with three labels, as the multilingual student.

    Like ``lxyuan/distilbert-base-multilingual-cased-sentiments-student``: labels positive /
    neutral / negative (in that order of ids), a cased WordPiece vocabulary that holds Chinese
    characters (here a few dozen common ones), and the fast tokenizer's files
    (``tokenizer.json``, ``tokenizer_config.json``, ``special_tokens_map.json``,
    ``vocab.txt``), so the tiny twin exercises the same tokenizer construction.
    64 positions, so that truncation is exercised with short texts.
    """
    import json

    from transformers import (
        DistilBertConfig,
        DistilBertForSequenceClassification,
        DistilBertTokenizer,
    )

    upper = [c.upper() for c in _LETTERS]
    vocab = list(
        dict.fromkeys([*tiny_vocab(), *upper, *(f"##{c}" for c in upper), *_CHINESE_CHARS])
    )
    labels = ("positive", "neutral", "negative")
    config = DistilBertConfig(
        vocab_size=len(vocab),
        max_position_embeddings=64,
        n_layers=2,
        n_heads=2,
        dim=32,
        hidden_dim=64,
        initializer_range=_INIT,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    tokenizer = DistilBertTokenizer(
        vocab={piece: i for i, piece in enumerate(vocab)}, do_lower_case=False, model_max_length=64
    )
    tokenizer.save_pretrained(folder)  # tokenizer.json + tokenizer_config.json
    # the hub repo also ships these two (written by an older transformers); the loader must
    # not trip over them
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    specials = {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]"}
    specials |= {"sep_token": "[SEP]", "unk_token": "[UNK]"}
    (folder / "special_tokens_map.json").write_text(json.dumps(specials), encoding="utf-8")


Builder = Callable[[Path], None]  # writes a model folder (config, weights, tokenizer)


def tiny_root(settings: Settings) -> Path:
    """Where tiny folders live: ``<cache_dir or ~/.cache/mmdemo>/tiny-hf``."""
    base = settings.cache_dir or Path.home() / ".cache" / "mmdemo"
    return Path(base).expanduser() / "tiny-hf"


def build_tiny(build: Builder, folder: Path, seed: int = 0) -> Path:
    """Run ``build`` into ``folder`` with torch seeded (no network); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        build(folder)
    return folder


def tiny_model_dir(kind: str, build: Builder, settings: Settings, seed: int = 0) -> Path:
    """The folder holding tiny ``kind`` for ``seed``, built by ``build`` on first use.

    Built in a temporary sibling and renamed into place, so a concurrent process (the app
    under test and the tests themselves) never sees a half-written folder.
    """
    root = tiny_root(settings)
    target = root / f"{kind}-v{TINY_VERSION}-seed{seed}"
    if (target / "config.json").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        build_tiny(build, scratch, seed)
        try:
            os.rename(scratch, target)
        except OSError:  # another process finished first: use its folder
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log.info("Built tiny random %s (seed %d) in %s", kind, seed, target)
    return target
