"""Tool calls that a model wrote as text, and chat-template tokens that leaked into its words.

Small self-hosted models (Qwen2.5-Coder-1.5B under llama.cpp, many Ollama models) often answer a tool-calling
request with the call *as text* instead of the API's ``tool_calls``: a bare JSON object, a fenced ```json block,
or the ``<tool_call>…</tool_call>`` block of their chat template. :func:`parse_text_calls` turns such text into
real calls when it names a known tool and its arguments validate against that tool's schema, and tells the
caller when the text *looks* like a call but is not a usable one (unknown tool, invalid arguments, broken
JSON), so the loop can re-prompt once instead of returning the JSON as the answer.

Pure functions: no LangChain graph, no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

# Special tokens of the common chat templates (ChatML/Qwen, Llama 3, Phi, Gemma, Mistral, DeepSeek), with the
# role name that follows an opening token.
_TEMPLATE_TOKEN = re.compile(
    r"<\|im_start\|>(?:system|user|assistant|tool)?\n?"
    r"|<\|start_header_id\|>\w*<\|end_header_id\|>\n*"
    r"|<\|(?:im_end|im_sep|endoftext|eot_id|eom_id|end_of_text|begin_of_text|end|user|assistant|system|"
    r"tool|fim_prefix|fim_middle|fim_suffix|fim_pad|repo_name|file_sep|python_tag)\|>"
    r"|<\uff5c[^\uff5c\n]{1,40}\uff5c>"  # DeepSeek's full-width bars
    r"|</?(?:start_of_turn|end_of_turn)>(?:model|user)?\n?"
    r"|\[/?INST\]|<</?SYS>>|</s>|<s>"
)
_TOOL_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call|javascript)?[ \t]*\n?(.*?)```", re.S)
# Words a call written as text contains; used to tell "a broken call" from "an answer that shows JSON".
_CALL_KEYS = ("name", "function", "tool", "tool_name", "action")
_ARG_KEYS = ("arguments", "parameters", "args", "input", "action_input")
_EMBEDDED_CALL = re.compile(r"\{\s*\"(?:" + "|".join(_CALL_KEYS) + r")\"")


def strip_template_tokens(text: str) -> str:
    """``text`` without chat-template special tokens (``<|im_start|>assistant``, ``<|eot_id|>``, ``[INST]``…)."""
    cleaned = _TEMPLATE_TOKEN.sub("", text)
    return cleaned.strip() if cleaned != text else text


def has_template_tokens(text: str) -> bool:
    return _TEMPLATE_TOKEN.search(text) is not None


@dataclass
class TextCalls:
    """What :func:`parse_text_calls` found in a reply's text."""

    #: Valid calls: ``{"name", "args"}``, in order.
    calls: list[dict[str, Any]] = field(default_factory=list)
    #: True when the text contains something call-shaped (valid or not).
    looks_like_call: bool = False
    #: Why the call-shaped text is not usable (unknown tool, invalid arguments), for the corrective re-prompt.
    problems: list[str] = field(default_factory=list)


def _json_candidates(text: str) -> list[tuple[str, bool]]:
    """Snippets that may hold a call: (snippet, explicit) — explicit for ``<tool_call>`` blocks."""
    found: list[tuple[str, bool]] = [(m.group(1), True) for m in _TOOL_CALL_BLOCK.finditer(text)]
    found += [(m.group(1), False) for m in _FENCE.finditer(text)]
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        found.append((stripped, False))
    if not found:
        # A JSON object embedded in prose: "I will call {"name": ...}". Only objects that start with a call key.
        for match in _EMBEDDED_CALL.finditer(text):
            found.append((text[match.start() :], False))
    return found


def _decode(snippet: str) -> Any:
    """The first JSON value in ``snippet`` (trailing text ignored); raises ``ValueError``."""
    snippet = snippet.strip()
    start = min((i for i in (snippet.find("{"), snippet.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError("no JSON object")
    value, _ = json.JSONDecoder().raw_decode(snippet[start:])
    return value


def _call_of(obj: Any) -> tuple[str, Any] | None:
    """(tool name, raw arguments) of a call-shaped object in any of the usual spellings, else None."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # OpenAI's own shape written out as text
        return _call_of(obj["function"])
    name = next((obj[k] for k in _CALL_KEYS if isinstance(obj.get(k), str)), None)
    if name is None:
        return None
    args = next((obj[k] for k in _ARG_KEYS if k in obj), None)
    if args is None:
        # {"name": "build_status", "job": "x"}: the arguments inline next to the name.
        args = {k: v for k, v in obj.items() if k not in _CALL_KEYS and k not in ("type", "id")}
    return name, args


def parse_text_calls(text: str, schemas: Mapping[str, type[BaseModel] | None]) -> TextCalls:
    """Tool calls written as text in ``text``, validated against ``schemas`` (tool name -> args model).

    A tool without a schema (``None``) accepts any object. Arguments given as a JSON string are decoded.
    """
    result = TextCalls()
    if not text or not text.strip():
        return result
    for snippet, explicit in _json_candidates(text):
        try:
            value = _decode(snippet)
        except ValueError:
            if explicit:
                result.looks_like_call = True
                result.problems.append("the <tool_call> block is not valid JSON")
            continue
        objects = value if isinstance(value, list) else [value]
        for obj in objects:
            call = _call_of(obj)
            if call is None:
                if explicit:
                    result.looks_like_call = True
                    result.problems.append('a tool call needs {"name": ..., "arguments": {...}}')
                continue
            name, raw_args = call
            if not explicit and name not in schemas and not any(k in obj for k in _ARG_KEYS):
                continue  # {"name": "api-service", ...} in an answer is data, not a call
            result.looks_like_call = True
            if isinstance(raw_args, str):
                try:
                    raw_args = json.loads(raw_args) if raw_args.strip() else {}
                except ValueError:
                    result.problems.append(f"the arguments of {name} are not a JSON object")
                    continue
            if not isinstance(raw_args, dict):
                result.problems.append(f"the arguments of {name} must be a JSON object")
                continue
            if name not in schemas:
                known = ", ".join(sorted(schemas)) or "none"
                result.problems.append(f"there is no tool named {name!r} (the tools are: {known})")
                continue
            schema = schemas[name]
            if schema is not None:
                try:
                    schema.model_validate(raw_args)
                except ValidationError as exc:
                    errors = "; ".join(
                        f"{'.'.join(str(p) for p in e['loc']) or '(arguments)'}: {e['msg']}"
                        for e in exc.errors()
                    )
                    result.problems.append(f"invalid arguments for {name}: {errors}")
                    continue
            call_dict = {"name": name, "args": raw_args}
            if call_dict not in result.calls:
                result.calls.append(call_dict)
        if result.calls:
            break  # the first snippet with valid calls wins; the rest is usually the same call repeated
    return result


def looks_like_tool_call(text: str) -> bool:
    """True when ``text`` holds call-shaped JSON or a ``<tool_call>`` block (whatever tool it names)."""
    if "<tool_call>" in text:
        return True
    for snippet, _ in _json_candidates(text):
        try:
            value = _decode(snippet)
        except ValueError:
            continue
        for obj in value if isinstance(value, list) else [value]:
            call = _call_of(obj)
            if (
                call is not None
                and isinstance(obj, dict)
                and (any(k in obj for k in _ARG_KEYS) or isinstance(obj.get("function"), dict))
            ):
                return True
    return False
