"""open_clip's multilingual CLIP: XLM-RoBERTa-base text tower + ViT-B-32 (LAION-5B), and its
tiny random twin for tests.

Why: the ViT-B-32/laion2b text tower reads English only (0.7 % Chinese R@1 on XM3600 in
open_clip's multilingual table), while ``xlm-roberta-base-ViT-B-32`` / ``laion5b_s13b_b90k``
reads ~100 languages (53.7 % Chinese R@1) at a small English cost (ImageNet zero-shot 62.4 %
vs 66.6 %). ``MMDEMO_BACKENDS=embed=openclip-xlm-roberta-base-vit-b-32`` selects it; an index
built by another embedder is refused with the re-embed offer, as for any model change.

The text tower is a transformers model: its config and tokenizer come from
``FacebookAI/xlm-roberta-base`` (fetched by ``download`` like any weights), its weights with
the CLIP checkpoint. The twin is the same construction in miniature: a 2-layer XLM-R config
and a small Unigram tokenizer (Latin letters and common CJK characters) written to a folder,
plus a tiny open_clip architecture config, all loaded through the same ``load_openclip``.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from mmdemo.models.base import LoadContext
from mmdemo.models.hub.tiny import tiny_model_dir
from mmdemo.models.registry import BackendSpec, Capabilities
from mmdemo.models.shared.openclip import OpenClipEmbedder, load_openclip, openclip_hub_files

TINY_ARCH = "mmdemo-tiny-xlm-roberta-clip"
TINY_CONFIG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {
        "hf_model_name": "xlm-roberta-base",  # replaced by the local folder at load time
        "hf_tokenizer_name": "xlm-roberta-base",
        "hf_pooler_type": "mean_pooler",
    },
}
_SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]
_WORDS = ("a", "an", "the", "of", "in", "on", "photo", "picture", "cat", "dog", "cup", "coffee")
_CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 400)] + list("猫狗杯咖啡火箭照片一只的是")


def build_tiny_text_tower(folder: Path) -> None:
    """A 2-layer, 32-wide XLM-R config, a Unigram tokenizer that spells Latin and common CJK
    text, and the tiny open_clip architecture config (weights: random, at load time)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaConfig, XLMRobertaTokenizerFast

    latin = string.ascii_letters + string.digits + ".,!?'-"
    characters = list(dict.fromkeys(latin + "".join(_CJK)))
    pieces = [(token, 0.0) for token in _SPECIAL]
    pieces += [("▁" + word, -5.0) for word in _WORDS]
    pieces += [("▁" + c, -8.0) for c in characters] + [(c, -9.0) for c in characters]
    pieces += [("▁", -10.0), ("<mask>", 0.0)]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=3, byte_fallback=False))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    fast = XLMRobertaTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=77,
    )
    fast.save_pretrained(folder)
    XLMRobertaConfig(
        vocab_size=len(fast),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=80,  # 77 tokens + XLM-R's position offset
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    ).save_pretrained(folder)
    (folder / f"{TINY_ARCH}.json").write_text(json.dumps(TINY_CONFIG, indent=2), encoding="utf-8")


def load(spec: BackendSpec, ctx: LoadContext) -> OpenClipEmbedder:
    """The real model through the cache or the hub; the twin from its tiny folder."""
    if not spec.is_random:
        return load_openclip(spec, ctx)
    seed = int(spec.option("seed", 0))
    folder = tiny_model_dir("xlm-roberta-text", build_tiny_text_tower, ctx.settings, seed)
    return load_openclip(spec, ctx, text_tower=folder, config_file=folder / f"{TINY_ARCH}.json")


MULTILINGUAL = Capabilities(languages=("*",))

SPECS = (
    BackendSpec(
        task="embed",
        name="openclip-xlm-roberta-base-vit-b-32",
        load=load,
        hub_files=openclip_hub_files,
        label="open_clip XLM-R base + ViT-B-32 (LAION-5B, multilingual)",
        description="open_clip's multilingual CLIP (XLM-RoBERTa-base text tower, ViT-B-32, "
        "LAION-5B): text in ~100 languages, weights from the Hugging Face hub",
        options={
            "arch": "xlm-roberta-base-ViT-B-32",
            "pretrained": "laion5b_s13b_b90k",
            # open_clip's hf_hub entry for this tag (a unit test keeps it equal)
            "hub": "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k/",
            "text_repo": "FacebookAI/xlm-roberta-base",
            "text_patterns": ("config.json", "tokenizer.json", "sentencepiece.bpe.model"),
            # not calibrated on real weights (none offline): ViT-B-32's, from the same data
            # (openclip_embed.py says where they come from; docs/quality.md section 6)
            "thresholds": {"text": 0.20, "text_strong": 0.28, "image": 0.60, "image_strong": 0.85},
        },
        capabilities=MULTILINGUAL,
    ),
    BackendSpec(
        task="embed",
        name="openclip-xlm-roberta-tiny",
        load=load,
        hub_files=openclip_hub_files,
        label="tiny random multilingual open_clip (tests)",
        description="tiny random XLM-R + ViT open_clip twin for tests (meaningless results)",
        options={"arch": TINY_ARCH, "pretrained": None, "seed": 0, "thresholds": {}},
        capabilities=MULTILINGUAL,
        is_random=True,
    ),
)
