"""Full-size random-weight stand-ins for the ``full`` preset's hub models (benchmarks only).

Why: speed and memory depend on the architectures, their input sizes and the sequence
lengths, not on the weight values, and this machine cannot reach the hub. So each hub repo
the ``full`` preset downloads (open_clip ViT-B-32, BLIP caption, BLIP VQA, BLIP ITM, ViLT,
and a DistilBERT sentiment model if the preset names one) is rebuilt here from its real config
with seeded random weights, served by the test suite's fake hub
(``tests/support/fake_hub.py``), and fetched with the real ``python -m mmdemo download`` into
a Hugging Face cache folder. The app then loads them offline (``MMDEMO_CACHE_DIR`` +
``HF_HUB_OFFLINE=1``) through exactly the code that loads the real weights. The cache is
kept (default ``~/.cache/mmdemo-bench/hf-cache``, or ``$MMDEMO_BENCH_CACHE``), so later runs
start at once; ``python -m bench._random_full`` builds it and prints its path.

Weights use each config's own initialisation (std 0.02), except BLIP's vision tower, whose
config default (1e-10) would make its output ~0. Tokenizers: a WordPiece vocabulary written
in code (``mmdemo.models.hub.tiny.tiny_vocab`` padded with filler pieces to the real size:
30,522, + [DEC]/[ENC] = 30,524 for BLIP), so every id the random model emits decodes to a
word and the embedding/output layers have their real shapes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from bench._loopback import bypass_proxies
from tests.support.app_process import REPO_ROOT
from tests.support.environment import subprocess_env

DEFAULT_CACHE = Path(
    os.environ.get("MMDEMO_BENCH_CACHE", Path.home() / ".cache" / "mmdemo-bench")
).expanduser()
BERT_VOCAB = 30522  # bert-base-uncased, which BLIP, ViLT and DistilBERT all use
VILT_ANSWERS = 3129  # VQAv2's answer list in dandelin/vilt-b32-finetuned-vqa
SEED = 0
BUILD_VERSION = 5  # bump when a builder changes: a cache built by older code is rebuilt
STAMP = ".mmdemo-bench-version"  # marks a cache folder this module built (and may rebuild)

CLIP_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
XLM_CLIP_REPO = "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k"
XLMR_REPO = "FacebookAI/xlm-roberta-base"
XLM_CLIP_ARCH = "xlm-roberta-base-ViT-B-32"
MULTILINGUAL_SENTIMENT_REPO = "lxyuan/distilbert-base-multilingual-cased-sentiments-student"
MULTILINGUAL_BERT_VOCAB = 119547  # distilbert-base-multilingual-cased
BLIP_CAPTION_REPO = "Salesforce/blip-image-captioning-base"
BLIP_VQA_REPO = "Salesforce/blip-vqa-base"
BLIP_ITM_REPO = "Salesforce/blip-itm-base-coco"
VILT_REPO = "dandelin/vilt-b32-finetuned-vqa"
DISTILBERT_REPOS = (
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "distilbert-base-uncased-finetuned-sst-2-english",
)


def full_vocab(size: int = BERT_VOCAB) -> list[str]:
    """The tiny vocabulary (special tokens, words, letters) padded with filler words."""
    from mmdemo.models.hub.tiny import tiny_vocab

    pieces = tiny_vocab()
    pieces += [f"w{i:05d}" for i in range(size - len(pieces))]
    return pieces


def bert_tokenizer(cls_name: str = "BertTokenizer", blip: bool = False, max_length: int = 512):
    """A real-size BERT WordPiece tokenizer; BLIP's adds [DEC] (bos) and [ENC] like Salesforce's."""
    import transformers

    vocab = {piece: i for i, piece in enumerate(full_vocab())}
    tokenizer = getattr(transformers, cls_name)(vocab=vocab, model_max_length=max_length)
    if blip:
        tokenizer.add_special_tokens({"bos_token": "[DEC]"})
        tokenizer.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    return tokenizer


def _build_blip(model_class: str, folder: Path):
    """BLIP base: ViT-B/16 at 384 px + 12-layer BERT text model (BlipConfig's defaults);
    returns the model it saved."""
    import transformers
    from transformers import BlipConfig, BlipImageProcessor, BlipProcessor

    tokenizer = bert_tokenizer(blip=True)
    text = dict(
        vocab_size=len(tokenizer),  # 30,524 like the real checkpoints
        bos_token_id=tokenizer.bos_token_id,
        sep_token_id=tokenizer.sep_token_id,
        eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    # BlipVisionConfig's default initializer_range is 1e-10: a vision tower built from it
    # outputs ~1e-6 (zero in fp16), so the decoder would ignore the image. Trained weights
    # are O(0.02), like the text side's default.
    vision = dict(image_size=384, patch_size=16, initializer_range=0.02)
    config = BlipConfig(text_config=text, vision_config=vision)
    model = getattr(transformers, model_class)(config)
    model.save_pretrained(folder)
    BlipProcessor(BlipImageProcessor(), tokenizer).save_pretrained(folder)  # 384 x 384
    return model


def build_blip_caption(folder: Path) -> None:
    _build_blip("BlipForConditionalGeneration", folder)


def build_blip_itm(folder: Path) -> None:
    """BLIP base with the ITM head (BlipForImageTextRetrieval), saved as pytorch_model.bin
    only, like the repo's main branch (its safetensors copy is an unmerged hub PR)."""
    import torch

    model = _build_blip("BlipForImageTextRetrieval", folder)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    torch.save(state, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()


def build_blip_vqa(folder: Path) -> None:
    _build_blip("BlipForQuestionAnswering", folder)


def build_vilt(folder: Path) -> None:
    """ViLT-B/32 (ViltConfig's defaults: 384 px shortest edge, 40 text tokens), 3,129 answers,
    saved as pytorch_model.bin only, like dandelin's repo."""
    import torch
    from transformers import (
        ViltConfig,
        ViltForQuestionAnswering,
        ViltImageProcessor,
        ViltProcessor,
    )

    from mmdemo.models.hub.tiny import TINY_ANSWERS

    answers = [*TINY_ANSWERS, *(f"answer{i}" for i in range(VILT_ANSWERS - len(TINY_ANSWERS)))]
    config = ViltConfig(
        id2label=dict(enumerate(answers)), label2id={a: i for i, a in enumerate(answers)}
    )
    model = ViltForQuestionAnswering(config)
    model.save_pretrained(folder)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    torch.save(state, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    ViltProcessor(ViltImageProcessor(), bert_tokenizer(max_length=40)).save_pretrained(folder)


def build_clip(folder: Path) -> None:
    """open_clip ViT-B-32 state dict, as the laion repo's open_clip_pytorch_model.bin."""
    import open_clip
    import torch

    model = open_clip.create_model("ViT-B-32", pretrained=None)
    torch.save(model.state_dict(), folder / "open_clip_pytorch_model.bin")


def build_xlmr(folder: Path) -> None:
    """xlm-roberta-base's config as published (XLMRobertaConfig's defaults are not it: the
    real one has 250,002 tokens and 514 positions) and a fast tokenizer. The tokenizer is the
    tiny twin's (a few hundred pieces, ids inside the real vocabulary), so texts tokenise
    into comparable lengths; sentencepiece.bpe.model is not written (tokenizer.json is read)."""
    from transformers import XLMRobertaConfig

    from mmdemo.models.backends.openclip_xlm_roberta import build_tiny_text_tower

    build_tiny_text_tower(folder)
    for extra in folder.glob("mmdemo-*.json"):
        extra.unlink()
    XLMRobertaConfig(
        vocab_size=250002,
        max_position_embeddings=514,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    ).save_pretrained(folder)


def build_xlm_clip(folder: Path) -> None:
    """open_clip xlm-roberta-base-ViT-B-32, full size, as the laion repo's checkpoint."""
    import torch

    from mmdemo.models.shared.openclip import build_openclip

    with tempfile.TemporaryDirectory() as tower:
        build_xlmr(Path(tower))
        model, _, _ = build_openclip(
            XLM_CLIP_ARCH, None, torch.device("cpu"), torch.float32, text_tower=Path(tower)
        )
    torch.save(model.state_dict(), folder / "open_clip_pytorch_model.bin")


def build_distilbert(folder: Path) -> None:
    """distilbert-base (DistilBertConfig's defaults) with the SST-2 head's two labels; the
    tokenizer as that repo has it: vocab.txt + tokenizer_config.json, no tokenizer.json."""
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    labels = {0: "NEGATIVE", 1: "POSITIVE"}
    config = DistilBertConfig(id2label=labels, label2id={v: k for k, v in labels.items()})
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    bert_tokenizer("DistilBertTokenizer").save_pretrained(folder)
    (folder / "tokenizer.json").unlink(missing_ok=True)
    (folder / "vocab.txt").write_text("\n".join(full_vocab()) + "\n")


def build_multilingual_sentiment(folder: Path) -> None:
    """distilbert-base-multilingual-cased size (119,547 tokens, 6 layers, 768 wide) with the
    student's three labels; the tokenizer files are the tiny twin's (ids inside the vocab)."""
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    from mmdemo.models.hub.tiny import build_distilbert_multilingual_sentiment

    build_distilbert_multilingual_sentiment(folder)
    labels = ("positive", "neutral", "negative")
    config = DistilBertConfig(
        vocab_size=MULTILINGUAL_BERT_VOCAB,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    DistilBertForSequenceClassification(config).save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path], None]] = {
    CLIP_REPO: build_clip,
    XLM_CLIP_REPO: build_xlm_clip,
    XLMR_REPO: build_xlmr,
    MULTILINGUAL_SENTIMENT_REPO: build_multilingual_sentiment,
    BLIP_CAPTION_REPO: build_blip_caption,
    BLIP_VQA_REPO: build_blip_vqa,
    BLIP_ITM_REPO: build_blip_itm,
    VILT_REPO: build_vilt,
    **dict.fromkeys(DISTILBERT_REPOS, build_distilbert),
}


def build_repo(repo: str, folder: Path, seed: int = SEED) -> Path:
    """Write ``repo``'s random stand-in into ``folder`` (seeded; fp32)."""
    import torch

    if repo not in BUILDERS:
        raise SystemExit(f"No random stand-in for {repo}; add a builder in bench/_random_full.py")
    folder.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        BUILDERS[repo](folder)
    return folder


# What ``AppProcess`` (offline by default) and ``subprocess_env`` need to be strictly offline.
OFFLINE: dict[str, str | None] = {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": None}


def hub_env(url: str | None = None, **env: str | None) -> dict[str, str]:
    """The environment for a child process: the fake hub at ``url``, or strictly offline."""
    bypass_proxies()  # the child inherits NO_PROXY: the fake hub is on 127.0.0.1
    if url:
        return subprocess_env(HF_ENDPOINT=url, HF_HUB_OFFLINE=None, **env)
    return subprocess_env(**OFFLINE, **env)


def run_offline_child(module: str, name: str, cache: Path, reps: int) -> dict:
    """``python -m MODULE --child NAME --cache CACHE --reps N`` offline, in a fresh process
    (each measurement gets its own: RSS and first-load times are per process); the last
    stdout line is its JSON result."""
    import json

    command = [sys.executable, "-m", module, "--child", name, "--cache", str(cache)]
    command += ["--reps", str(reps)]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=hub_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def missing_repos(cache_dir: Path, backend_sets: Iterable[str]) -> dict[str, list[str]]:
    """{MMDEMO_BACKENDS value: repos that ``full`` with it still lacks in ``cache_dir``}."""
    from mmdemo.core.config import Settings
    from mmdemo.models.hub.preset_weights import missing_weights

    found = {}
    for backends in backend_sets:
        settings = Settings(cache_dir=cache_dir, backends=backends or None)
        repos = [w.repo_id for w in missing_weights("full", settings)]
        if repos:
            found[backends] = repos
    return found


# ``download --preset full`` fetches every model a person may pick, so the stand-ins must
# cover them all: the preset's defaults, ViLT (a VQA choice), ViT-B-32 (an embed choice).
FULL_CHOICES = ("", "vqa=vilt-vqa", "embed=openclip-vit-b-32")


def ensure_full_cache(
    cache_dir: Path | None = None, backend_sets: Iterable[str] = FULL_CHOICES
) -> Path:
    """A HF cache holding random stand-ins of every repo ``full`` needs, built once.

    ``backend_sets``: ``MMDEMO_BACKENDS`` values to cover ("" = the preset's own backends;
    ``vqa=vilt-vqa`` adds ViLT; the default covers every choice ``download`` fetches).
    Missing repos are built, served by ``tests/support/fake_hub.py`` and fetched by
    ``python -m mmdemo download --preset full --dir CACHE``; the built sources are deleted
    afterwards (the cache holds the copies). A non-empty folder without this module's stamp
    (say, a cache holding the real weights) is used read-only.
    """
    cache_dir = Path(cache_dir or DEFAULT_CACHE / "hf-cache").expanduser().resolve()
    backend_sets = list(backend_sets)
    stamp = cache_dir / STAMP
    if cache_dir.is_dir() and any(cache_dir.iterdir()) and not stamp.is_file():
        # Not ours (e.g. a real Hugging Face cache): use it as it is, never write or delete.
        todo = missing_repos(cache_dir, backend_sets)
        if todo:
            raise SystemExit(f"{cache_dir} was not built by bench/_random_full.py and lacks {todo}")
        return cache_dir
    if stamp.is_file() and stamp.read_text() != str(BUILD_VERSION):
        print(f"{cache_dir} was built by an older _random_full.py; rebuilding it", flush=True)
        shutil.rmtree(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(str(BUILD_VERSION))
    todo = missing_repos(cache_dir, backend_sets)
    if not todo:
        return cache_dir
    from tests.support.fake_hub import FakeHub

    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    source = Path(tempfile.mkdtemp(prefix="hub-src-", dir=cache_dir.parent))
    try:
        with FakeHub(source) as hub:
            for repo in dict.fromkeys(r for repos in todo.values() for r in repos):
                print(f"building a random {repo} ...", flush=True)
                build_repo(repo, hub.repo_dir(repo))
            for backends in todo:
                env = hub_env(hub.url, MMDEMO_BACKENDS=backends)
                command = [sys.executable, "-m", "mmdemo", "download", "--preset", "full"]
                subprocess.run(
                    [*command, "--dir", str(cache_dir)], cwd=REPO_ROOT, env=env, check=True
                )
    finally:
        shutil.rmtree(source, ignore_errors=True)
    left = missing_repos(cache_dir, backend_sets)
    if left:
        raise SystemExit(f"still missing after the download: {left}")
    return cache_dir


def snapshot(repo: str, cache_dir: Path) -> Path:
    """The local folder of ``repo`` in ``cache_dir`` (what the app's loaders read)."""
    from mmdemo.models.hub.files import HubWeights, cached_files, snapshot_folder

    patterns = ("*.json", "*.txt", "*.safetensors", "*.bin", "*.model")
    files = cached_files(HubWeights(repo, patterns=patterns), cache_dir)
    if not files:
        raise SystemExit(f"{repo} is not in {cache_dir}; run ensure_full_cache first")
    return snapshot_folder(files)


if __name__ == "__main__":
    print(ensure_full_cache())
