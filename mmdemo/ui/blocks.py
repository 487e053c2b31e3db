"""The page's ``gr.Blocks``: Gradio's own, except for what it does with malformed API calls.

Why: Gradio checks a call's inputs before any handler of ours runs, and with error details
off (as they must be on a public server) every failure there reaches the caller as an
error event with no message at all. Two kinds are common in raw HTTP calls:

* a ``data`` list shorter than the event's inputs: ``gradio_client`` fills the inputs a
  caller leaves out with the defaults the API page shows (the components' initial values),
  but ``/gradio_api/call/<name>`` takes the list as it comes. Here the missing trailing
  inputs get the same defaults, so raw HTTP, the client and the page agree; an input with
  no default gets ``None`` and its handler says what is missing ("No image given...");
* a file input that is not a file payload (a list, a number, ``{"path": 5}``) or names a
  file that was never uploaded: here the caller is told which input, and what it takes.
"""

from __future__ import annotations

import copy
import inspect
import logging
from typing import Any

import gradio as gr
from gradio.exceptions import Error

log = logging.getLogger(__name__)

FILE_FORM = (
    'an uploaded file, as gradio_client.handle_file(path) sends it ({"path": ..., "meta": '
    '{"_type": "gradio.FileData"}}, the path one that /gradio_api/upload returned)'
)


def default_input(block: Any) -> Any:
    """What ``gradio_client`` sends for an input left out: the component's initial value."""
    value = getattr(block, "value", None)
    return None if callable(value) else copy.deepcopy(value)


def _parameter_names(block_fn) -> list[str]:
    try:
        return list(inspect.signature(block_fn.fn).parameters)
    except (TypeError, ValueError):
        return []


def _describe(block_fn, index: int) -> str:
    """ "input 1 (upload) of /classify": the names the API page shows."""
    names = _parameter_names(block_fn)
    name = f" ({names[index]})" if index < len(names) else ""
    where = f"/{block_fn.api_name}" if block_fn.api_name else "this event"
    return f"Input {index + 1}{name} of {where}"


def _pydantic_problem(err: Exception) -> str:
    """The first field error of a pydantic ValidationError, without the value itself."""
    try:
        first = err.errors()[0]  # type: ignore[attr-defined]
    except Exception:
        return ""
    field = ".".join(str(part) for part in first.get("loc", ()))
    return f" ({field + ': ' if field else ''}{first.get('msg', '')})"


def unreadable_inputs(block_fn, inputs: list[Any]) -> str:
    """A message naming the input Gradio could not read, and the form it takes."""
    for index, (block, value) in enumerate(zip(block_fn.inputs, inputs, strict=False)):
        model = getattr(block, "data_model", None)
        if model is None or value is None:
            continue
        form = FILE_FORM
        if getattr(block, "file_count", "single") != "single":
            form = "a list of files, each " + FILE_FORM
        try:
            model.model_validate(value, context={"validate_meta": True})
        except Exception as invalid:
            return (
                f"{_describe(block_fn, index)} must be {form}, not this "
                f"{type(value).__name__}{_pydantic_problem(invalid)}."
            )
        # well-formed, but Gradio could not take the file (InvalidPathError: not one of the
        # uploads; ValueError: a NUL in the path...): not a file this app gave out
        return (
            f"{_describe(block_fn, index)} names a file that was not uploaded to this app; "
            f"send {form}."
        )
    return (
        "The inputs of this call could not be read; /gradio_api/info lists each endpoint's "
        "inputs and their types."
    )


class DemoBlocks(gr.Blocks):
    """``gr.Blocks`` that fills left-out inputs and names unreadable ones (see the module)."""

    def validate_inputs(self, block_fn, inputs: list[Any]):
        # Gradio calls this with the request's data list before preprocessing reads it by
        # position; extending that list in place is how the defaults reach the handler.
        wanted = block_fn.inputs
        if isinstance(inputs, list) and not block_fn.batch and len(inputs) < len(wanted):
            inputs.extend(default_input(block) for block in wanted[len(inputs) :])
        return super().validate_inputs(block_fn, inputs)

    async def preprocess_data(self, block_fn, inputs, state, explicit_call=False):
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except Error:
            raise
        except Exception as err:  # Gradio's own checks; its text may hold server paths
            message = unreadable_inputs(block_fn, list(inputs or ()))
            log.info("Refused a call's inputs (%s: %s)", type(err).__name__, message)
            raise gr.Error(message, print_exception=False) from err
