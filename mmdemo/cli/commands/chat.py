"""``python -m mmdemo chat IMAGE "QUESTION"``: ask a vision-language model about one image,
printing the answer as it streams, then a one-line summary (tokens, seconds).

Why it streams to stdout as the tokens come: on a CPU a reply takes seconds to a minute,
and a person at the terminal reads it as it is written. ``--json`` prints the finished
``ChatReply`` alone (the API's shape). On lite there is no chat model: exit 2, saying so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mmdemo.cli.common import (
    MODEL_HELP,
    add_common,
    model_server,
    print_json,
    read_image,
    settings_for,
    warn,
)

NAME = "chat"
ORDER = 45
HELP = "ask a vision-language model about one image (streams the answer)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, metavar="IMAGE")
    parser.add_argument("question", metavar="QUESTION")
    parser.add_argument("--model", help=MODEL_HELP.format(task="chat"))
    parser.add_argument(
        "--temperature", type=float, default=0.7, help="0 = greedy, up to 2 (default 0.7)"
    )
    parser.add_argument("--top-p", type=float, default=0.9, help="nucleus sampling (default 0.9)")
    parser.add_argument(
        "--max-new-tokens", type=int, default=256, help="longest answer in tokens (default 256)"
    )
    parser.add_argument("--seed", type=int, help="make sampling reproducible")
    parser.add_argument("--json", action="store_true", help="print the finished reply as JSON")
    add_common(parser)


def run(args: argparse.Namespace) -> int:
    from mmdemo.core.chat_results import ChatReply
    from mmdemo.services import chat

    settings = settings_for(args)
    server = model_server(settings)
    chat.require_chat(server)  # lite: the plain message, exit 2, before reading anything
    options = chat.chat_options(args.temperature, args.top_p, args.max_new_tokens, args.seed)
    turns = chat.conversation(None, args.question)
    image = read_image(args.image, settings)
    reply = None
    for item in chat.chat_stream(server, image, turns, options, args.model):
        if isinstance(item, chat.ChatLoading):
            warn(item.message)
        elif isinstance(item, ChatReply):
            reply = item
        elif not args.json:
            sys.stdout.write(item)
            sys.stdout.flush()
    if reply is None:
        raise RuntimeError("the chat model ended without a reply")
    if args.json:
        print_json(reply.to_json())
        return 0
    speed = f", {reply.tokens_per_s:.1f} tokens/s" if reply.tokens_per_s else ""
    sys.stdout.write(
        f"\n[{reply.model}: {reply.tokens} tokens in {reply.seconds:.1f} s{speed}; "
        f"stopped: {reply.stopped}]\n"
    )
    if reply.random_weights:
        warn("note: random test weights (preset tiny): this answer is meaningless.")
    return 0
