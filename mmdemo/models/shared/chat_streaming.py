"""Streamed chat about an image with a transformers vision-language model (the ``chat`` task).

Why one base class: SmolVLM and Qwen2-VL differ only in how their folder is built (tiny
twins) and how their processor sizes an image; the conversation handling is the same. The
chat template comes from the model's own processor, the image goes in the first user turn,
``generate`` runs in a worker thread feeding a ``TextIteratorStreamer``, and a stopping
criterion ends it at the next token when the caller cancels, closes the iterator, or the
deadline passes, so a stopped reply frees the CPU at once.

Sampling draws from a per-call ``torch.Generator`` (``_DrawToken``), never from torch's
global generator: two visitors sampling at once neither wait for a lock nor disturb each
other's seeded draws. ``tiny_byte_tokenizer`` builds the tokenizer of the tiny twins.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator, Sequence

import torch
from PIL import Image

from mmdemo.core.chat_results import ChatOptions, ChatReply, ChatTurn, check_turns
from mmdemo.models.base import Backend
from mmdemo.models.registry import EnglishOnlyError
from mmdemo.models.shared.hf_inputs import check_images

log = logging.getLogger(__name__)

DEFAULT_MAX_PROMPT_TOKENS = 2048  # the conversation's tokens after the chat template


class _Stop:
    """A ``StoppingCriteria``: true once the call is cancelled or its deadline has passed."""

    def __init__(self, cancel: threading.Event, closed: threading.Event, deadline: float | None):
        self.cancel, self.closed, self.deadline = cancel, closed, deadline
        self.timed_out = False

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs) -> torch.Tensor:
        stop = self.cancel.is_set() or self.closed.is_set()
        if not stop and self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = stop = True
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


class _DrawToken:
    """A ``LogitsProcessor`` that samples one token with a private generator and leaves only
    it standing, so greedy decoding then picks exactly the sampled token."""

    def __init__(self, temperature: float, top_p: float, seed: int):
        self.temperature, self.top_p = temperature, top_p
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        logits = scores.float() / self.temperature
        probs = torch.softmax(logits, dim=-1)
        ordered, order = probs.sort(dim=-1, descending=True)
        keep = ordered.cumsum(dim=-1) - ordered < self.top_p  # the nucleus (first one always)
        ordered = torch.where(keep, ordered, torch.zeros_like(ordered))
        picked = torch.multinomial(ordered.cpu(), 1, generator=self.generator).to(order.device)
        token = order.gather(-1, picked)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter(-1, token, 0.0)


def _token_streamer(tokenizer):
    """A ``TextIteratorStreamer`` that hands on each token's text at once (the stock one
    waits for a space: a word at a time), holding back only an incomplete UTF-8 sequence."""
    from transformers import TextIteratorStreamer

    class TokenStreamer(TextIteratorStreamer):
        def put(self, value: torch.Tensor) -> None:
            if value.dim() > 1:
                value = value[0]
            if self.skip_prompt and self.next_tokens_are_prompt:
                self.next_tokens_are_prompt = False
                return
            self.token_cache.extend(value.tolist())
            text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
            if text.endswith("\ufffd"):  # a character split across tokens: wait for the rest
                return
            self.on_finalized_text(text[self.print_len :])
            self.print_len = len(text)

    return TokenStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)


class VisionChatBackend(Backend):
    """A vision-language model answering a conversation about one image, streamed."""

    task = "chat"

    def __init__(self, spec, model, processor, device, dtype, model_label, processor_kwargs=None):
        super().__init__(spec, device, dtype, model_label)
        self.model = model
        self.processor = processor
        self.processor_kwargs = dict(processor_kwargs or {})
        self.max_prompt_tokens = int(spec.option("max_prompt_tokens", DEFAULT_MAX_PROMPT_TOKENS))

    def modules(self) -> list[torch.nn.Module]:
        return [self.model]

    # -- the conversation -> model inputs ------------------------------------------------
    def require_readable(self, turns: Sequence[ChatTurn]) -> None:
        """An English-only model refuses a question it cannot read (never a meaningless
        answer); the message names the model that can."""
        for turn in turns:
            if turn.role == "user" and not self.spec.capabilities.reads(turn.text):
                raise EnglishOnlyError(
                    f"The model {self.model_label} reads English only, and this question is "
                    "mostly in another script: its answer would mean nothing. Ask in English, "
                    "or choose Qwen2-VL, which reads Chinese."
                )

    @staticmethod
    def messages(image: Image.Image | None, turns: Sequence[ChatTurn]) -> list[dict]:
        """The processor's chat messages, the image in the first user turn."""
        out, placed = [], image is None
        for turn in turns:
            content: list[dict] = []
            if not placed and turn.role == "user":
                content.append({"type": "image"})
                placed = True
            content.append({"type": "text", "text": turn.text})
            out.append({"role": turn.role, "content": content})
        return out

    def prompt(self, image: Image.Image | None, turns: Sequence[ChatTurn]) -> str:
        return self.processor.apply_chat_template(
            self.messages(image, turns), add_generation_prompt=True
        )

    def inputs(self, image: Image.Image | None, turns: Sequence[ChatTurn]) -> tuple[dict, int]:
        """(model inputs, turns dropped): the oldest exchanges are left out until the prompt
        fits ``max_prompt_tokens``; the last question is always kept."""
        turns = list(turns)
        dropped = 0
        while True:
            images = None if image is None else [image]
            encoded = self.processor(
                text=[self.prompt(image, turns)],
                images=images,
                return_tensors="pt",
                **self.processor_kwargs,
            )
            if encoded["input_ids"].shape[1] <= self.max_prompt_tokens or len(turns) <= 1:
                return dict(encoded), dropped
            cut = 2 if len(turns) > 2 else 1  # one user + assistant exchange
            turns, dropped = turns[cut:], dropped + cut

    # -- streaming -----------------------------------------------------------------------
    def stream_reply(
        self,
        image: Image.Image | None,
        turns: Sequence[ChatTurn],
        options: ChatOptions,
        cancel: threading.Event,
        deadline: float | None = None,
    ) -> Iterator[str | ChatReply]:
        """Text deltas as they are decoded, then exactly one ``ChatReply``.

        Closing the iterator early sets ``cancel`` and joins the worker: generation stops
        at the next token. Checks (turns, language, image) run before any model work.
        """
        turns = check_turns(turns)
        self.require_readable(turns)
        if image is not None:
            image = check_images([image])[0]
        return self._stream(image, turns, options, cancel, deadline)

    def _stream(self, image, turns, options, cancel, deadline) -> Iterator[str | ChatReply]:
        from transformers import LogitsProcessorList, StoppingCriteriaList

        start = time.monotonic()
        inputs, dropped = self.inputs(image, turns)
        if dropped:
            log.info("chat: left out the %d oldest turns to fit the prompt", dropped)
        prompt_len = inputs["input_ids"].shape[1]
        closed = threading.Event()
        stop = _Stop(cancel, closed, deadline)
        streamer = _token_streamer(self.processor.tokenizer)
        kwargs = dict(
            self.to_device(inputs),
            streamer=streamer,
            max_new_tokens=options.max_new_tokens,
            do_sample=False,
            stopping_criteria=StoppingCriteriaList([stop]),
        )
        if not options.greedy:
            seed = options.seed if options.seed is not None else secrets.randbits(32)
            draw = _DrawToken(options.temperature, options.top_p, seed)
            kwargs["logits_processor"] = LogitsProcessorList([draw])
        result: dict = {}

        def work() -> None:
            try:
                with torch.inference_mode():
                    result["ids"] = self.model.generate(**kwargs)
            except BaseException as err:  # re-raised in the caller's thread
                result["error"] = err
                streamer.end()

        worker = threading.Thread(target=work, name="chat-generate", daemon=True)
        worker.start()
        parts: list[str] = []
        first: float | None = None
        try:
            for delta in streamer:
                if not delta:
                    continue
                if first is None:
                    first = time.monotonic() - start
                parts.append(delta)
                yield delta
        except GeneratorExit:  # the caller closed the iterator: stop at the next token
            cancel.set()
            raise
        finally:
            closed.set()
            worker.join()
        if "error" in result:
            raise result["error"]
        ids = result["ids"][0, prompt_len:]
        yield ChatReply(
            text="".join(parts),
            model=self.model_label,
            backend=self.spec.name,
            tokens=int(ids.shape[0]),
            seconds=time.monotonic() - start,
            first_token_s=first,
            stopped=self._stopped(ids, options, cancel, stop),
            dropped_turns=dropped,
            random_weights=self.spec.is_random,
        )

    def _stopped(self, ids: torch.Tensor, options: ChatOptions, cancel, stop: _Stop) -> str:
        if cancel.is_set():
            return "cancelled"
        if stop.timed_out:
            return "time"
        eos = self.model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        if ids.shape[0] and int(ids[-1]) in eos:
            return "eos"
        return "length" if ids.shape[0] >= options.max_new_tokens else "eos"


def tiny_byte_tokenizer(*, eos: str, pad: str, specials: Sequence[str], bos: str | None = None):
    """A fast byte-level BPE tokenizer with no merges: every text (Chinese included) becomes
    real ids and decodes back exactly, as the real models' byte-level tokenizers do."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    core = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=bos,
        eos_token=eos,
        pad_token=pad,
        additional_special_tokens=list(specials),
        model_max_length=4096,
    )
