"""Tool calls that a model wrote as text, and chat-template tokens that leaked into its words.

Small self-hosted models (Qwen2.5-Coder-1.5B under llama.cpp, many Ollama models) often answer a tool-calling
request with the call *as text* instead of the API's ``tool_calls``, in whatever form their training used:

- JSON, bare or fenced: ``{"name": "rebuild", "arguments": {...}}`` (also ``parameters``/``args``/``input``);
- ``<tool_call>{json}</tool_call>`` (Qwen, Hermes);
- ``<function=rebuild>{json}</function>`` (Llama 3.1) and ``<function=rebuild><parameter=job>x</parameter>``
  (Qwen3-Coder);
- ``<function><name>rebuild</name><arguments>{json}</arguments></function>`` and ``<tool_use>`` alike;
- ``<invoke name="rebuild"><parameter name="job">x</parameter></invoke>`` (inside ``<function_calls>``);
- ``[TOOL_CALLS] [{"name": ..., "arguments": ...}]`` and ``[TOOL_CALLS]rebuild[ARGS]{json}`` (Mistral);
- ``<rebuild>{json}</rebuild>``: a tag named after a known tool.

:func:`parse_text_calls` turns such text into real calls when it names a known tool and its arguments validate
against that tool's schema, and tells the caller when the text *looks* like a call but is not a usable one
(unknown tool, invalid arguments, broken JSON or markup), so the loop can re-prompt once instead of returning
the call as the answer. :func:`looks_like_tool_call` is the last check on an answer, whatever tool it names.

Pure functions: no LangChain graph, no I/O.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

# Special tokens of the common chat templates (ChatML/Qwen, Llama 3, Phi, Gemma, Mistral, DeepSeek, gpt-oss),
# with the role name that follows an opening token.
_TEMPLATE_TOKEN = re.compile(
    r"<\|im_start\|>(?:system|user|assistant|tool)?\n?"
    r"|<\|start_header_id\|>\w*<\|end_header_id\|>\n*"
    r"|<\|(?:im_end|im_sep|endoftext|eot_id|eom_id|end_of_text|begin_of_text|end|user|assistant|system|"
    r"tool|fim_prefix|fim_middle|fim_suffix|fim_pad|repo_name|file_sep|python_tag|start|message|channel|"
    r"constrain|call|return|tool_call|tool_calls|tool_call_begin|tool_call_end|tool_calls_section_begin|"
    r"tool_calls_section_end)\|>"
    r"|<\uff5c[^\uff5c\n]{1,40}\uff5c>"  # DeepSeek's full-width bars
    r"|</?(?:start_of_turn|end_of_turn)>(?:model|user)?\n?"
    r"|\[/?INST\]|<</?SYS>>|</s>|<s>"
)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call|javascript)?[ \t]*\n?(.*?)```", re.S)
# Words a call written as text contains; used to tell "a broken call" from "an answer that shows JSON".
_CALL_KEYS = ("name", "function", "tool", "tool_name", "action")
_ARG_KEYS = ("arguments", "parameters", "args", "input", "action_input")
_EMBEDDED_CALL = re.compile(r"\{\s*\"(?:" + "|".join(_CALL_KEYS) + r")\"")

# -- markup forms ---------------------------------------------------------------------------------------------
# Each block ends at its closing tag, or at the end of the text (small models often stop before closing).
_TOOL_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S | re.I)
_FUNCTION_EQ = re.compile(
    r"<function=\s*[\"']?([\w.-]+)[\"']?\s*>(.*?)(?:</function>|(?=<function=)|$)", re.S
)
_FUNCTION_XML = re.compile(
    r"<(function|tool_use|tool)(?:\s+name=[\"']([\w.-]+)[\"'])?\s*>(.*?)(?:</\1>|$)", re.S | re.I
)
_INVOKE = re.compile(
    r"<invoke\s+name=[\"']?([\w.-]+)[\"']?\s*>(.*?)(?:</invoke>|(?=<invoke\b)|$)", re.S | re.I
)
#: The forms that name the tool in the opening tag, with what to say when the arguments cannot be read; read
#: in this order (a block read by an earlier form is not read again).
_NAMED_CALLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_FUNCTION_EQ, "the arguments of <function={name}> cannot be read"),
    (_INVOKE, 'the parameters of <invoke name="{name}"> cannot be read'),
)
_PARAM_EQ = re.compile(
    r"<parameter=\s*[\"']?([\w.-]+)[\"']?\s*>(.*?)(?:</parameter>|(?=<parameter=)|$)", re.S
)
_PARAM_NAMED = re.compile(
    r"<parameter\s+name=[\"']?([\w.-]+)[\"']?\s*>(.*?)(?:</parameter>|(?=<parameter\b)|$)", re.S | re.I
)
_CHILD = re.compile(r"<([A-Za-z_][\w.-]*)>(.*?)</\1>", re.S)
_MISTRAL = re.compile(r"\[TOOL_CALLS\]\s*(.*)", re.S)
_MISTRAL_NAMED = re.compile(r"([\w.-]+)\s*(?:\[CALL_ID\]\s*\w+\s*)?(?:\[ARGS\])?\s*(\{.*)", re.S)
# Anything that says "this is a call" in one of the markup forms (for the last check on an answer).
_MARKUP = re.compile(
    r"<tool_call>|</tool_call>|<function=|<function(?:\s+name=[^>]*)?>|<function_calls>|<invoke\s+name="
    r"|<tool_use>|<parameter(?:=|\s+name=)|\[TOOL_CALLS\]|\[ARGS\]|<\|python_tag\|>",
    re.I,
)


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


@dataclass
class _Found:
    """One call-shaped thing: the tool it names (None: none could be read) and its raw arguments."""

    name: str | None
    args: Any
    #: Arguments read from markup: their values are strings that may stand for numbers, lists or objects.
    from_markup: bool = False
    problem: str | None = None
    #: JSON with an arguments key (``arguments``, ``parameters`` ...): a call even when the tool is unknown.
    keyed: bool = True


def _json_candidates(text: str) -> list[str]:
    """Snippets that may hold a call written as JSON."""
    found = [m.group(1) for m in _FENCE.finditer(text)]
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        found.append(stripped)
    if not found:
        # A JSON object embedded in prose: "I will call {"name": ...}". Only objects that start with a call key.
        for match in _EMBEDDED_CALL.finditer(text):
            found.append(text[match.start() :])
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


def _value(raw: str) -> str:
    return html.unescape(raw.strip())


def _markup_args(body: str) -> tuple[Any, bool] | None:
    """The arguments in a markup call's body: (JSON object, False) or ({name: string}, True); None if none."""
    body = body.strip()
    if not body:
        return {}, False
    if body.startswith(("{", "[")):
        try:
            return _decode(body), False
        except ValueError:
            return None
    for pattern in (_PARAM_EQ, _PARAM_NAMED):
        params = pattern.findall(body)
        if params:
            return {k: _value(v) for k, v in params}, True
    value = _xml_value(body)
    if isinstance(value, dict):
        # <arguments><properties><job>x</job></properties></arguments>: one wrapper around the arguments.
        while (
            len(value) == 1
            and next(iter(value)) in _WRAPPERS
            and isinstance(next(iter(value.values())), dict)
        ):
            value = next(iter(value.values()))
        return value, True
    return None


_WRAPPERS = ("properties", "parameters", "arguments", "args", "input", "params", "kwargs")


def _xml_value(body: str, parent: str = "") -> Any:
    """Elements as JSON-like data: ``<a>1</a><b><c>x</c></b>`` -> ``{"a": "1", "b": {"c": "x"}}``; repeated
    elements (or ``<item>``/singular children of a plural parent) become lists; text stays a string."""
    children = _CHILD.findall(body)
    if not children:
        return _value(body)
    out: dict[str, Any] = {}
    for key, inner in children:
        item = _xml_value(inner, key)
        if key in out:
            out[key] = [*out[key], item] if isinstance(out[key], list) else [out[key], item]
        else:
            out[key] = item
    if len(out) == 1:
        ((key, item),) = out.items()
        if key == "item" or (parent and parent != key and parent.rstrip("s") == key):
            return item if isinstance(item, list) else [item]
    return out


def _json_calls(snippet: str, *, explicit: bool, form: str) -> list[_Found]:
    """The calls in a JSON snippet; ``explicit`` snippets (inside a call tag) are calls even when broken."""
    try:
        value = _decode(snippet)
    except ValueError:
        return [_Found(None, None, problem=f"the {form} block is not valid JSON")] if explicit else []
    found: list[_Found] = []
    for obj in value if isinstance(value, list) else [value]:
        call = _call_of(obj)
        if call is None:
            if explicit:
                found.append(
                    _Found(None, None, problem='a tool call needs {"name": ..., "arguments": {...}}')
                )
            continue
        keyed = any(k in obj for k in _ARG_KEYS) or isinstance(obj.get("function"), dict)
        found.append(_Found(*call, keyed=keyed))
    return found


def _xml_function(name: str | None, body: str, form: str) -> _Found:
    """``<function>`` / ``<tool_use>`` with a ``<name>`` child (or a name attribute) and arguments."""
    if name is None:
        match = re.search(r"<(?:name|tool_name)>\s*([\w.-]+)\s*</(?:name|tool_name)>", body)
        if match is None:
            return _Found(None, None, problem=f"the {form} block names no tool")
        name = match.group(1)
    inner = re.search(r"<(arguments|parameters|args|input)>(.*?)(?:</\1>|$)", body, re.S)
    rest = inner.group(2) if inner else re.sub(r"<(?:name|tool_name)>.*?</(?:name|tool_name)>", "", body)
    args = _markup_args(rest)
    if args is None:
        return _Found(name, None, problem=f"the arguments of {name} in the {form} block cannot be read")
    return _Found(name, args[0], from_markup=args[1])


def _markup_calls(text: str, tool_names: Iterable[str]) -> list[_Found]:
    """Every call written in one of the markup forms of the module docstring, in order of appearance."""
    found: list[tuple[int, _Found]] = []
    covered: list[tuple[int, int]] = []

    def add(start: int, end: int, calls: list[_Found]) -> None:
        if any(s <= start < e for s, e in covered):
            return  # inside a block already read (a <function=...> within a <tool_call>)
        covered.append((start, end))
        found.extend((start, c) for c in calls)

    for m in _TOOL_CALL_BLOCK.finditer(text):
        body = m.group(1)
        if re.match(r"\s*<", body):
            inner = _markup_calls(body, tool_names)
            add(
                m.start(),
                m.end(),
                inner or [_Found(None, None, problem="the <tool_call> block holds no call")],
            )
        else:
            add(m.start(), m.end(), _json_calls(body, explicit=True, form="<tool_call>"))
    for pattern, unreadable in _NAMED_CALLS:
        for m in pattern.finditer(text):
            name, body = m.group(1), m.group(2)
            args = _markup_args(body)
            call = (
                _Found(name, args[0], from_markup=args[1])
                if args is not None
                else _Found(name, None, problem=unreadable.format(name=name))
            )
            add(m.start(), m.end(), [call])
    for m in _FUNCTION_XML.finditer(text):
        add(m.start(), m.end(), [_xml_function(m.group(2), m.group(3), f"<{m.group(1)}>")])
    for m in _MISTRAL.finditer(text):
        body = m.group(1).strip()
        named = _MISTRAL_NAMED.match(body)
        if body.startswith(("[", "{")) or named is None:
            add(m.start(), m.end(), _json_calls(body, explicit=True, form="[TOOL_CALLS]"))
        else:
            try:
                decoded: Any = _decode(named.group(2))
            except ValueError:
                add(
                    m.start(),
                    m.end(),
                    [_Found(named.group(1), None, problem="the [ARGS] are not valid JSON")],
                )
            else:
                add(m.start(), m.end(), [_Found(named.group(1), decoded)])
    for name in tool_names:
        for m in re.finditer(rf"<{re.escape(name)}>(.*?)(?:</{re.escape(name)}>|$)", text, re.S):
            parsed = _markup_args(m.group(1))
            call = (
                _Found(name, parsed[0], from_markup=parsed[1])
                if parsed is not None
                else _Found(name, None, problem=f"the arguments of <{name}> cannot be read")
            )
            add(m.start(), m.end(), [call])
    return [call for _, call in sorted(found, key=lambda sc: sc[0])]


def _loosened(args: dict[str, Any]) -> dict[str, Any]:
    """Markup arguments with string values that are JSON numbers, booleans, lists or objects decoded."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        if value == "":
            continue  # <components></components>: an empty element is an argument not given
        if isinstance(value, str) and value[:1] in "[{0123456789-tfn":
            try:
                out[key] = json.loads(value)
                continue
            except ValueError:
                pass
        out[key] = value
    return out


def _validated(
    found: _Found, schemas: Mapping[str, type[BaseModel] | None]
) -> tuple[dict[str, Any] | None, str | None]:
    """(a call ``{"name", "args"}`` or None, the problem or None)."""
    name, raw_args = found.name, found.args
    if found.problem is not None or name is None:
        return None, found.problem or "the call names no tool"
    if isinstance(raw_args, str):
        try:
            raw_args = json.loads(raw_args) if raw_args.strip() else {}
        except ValueError:
            return None, f"the arguments of {name} are not a JSON object"
    if not isinstance(raw_args, dict):
        return None, f"the arguments of {name} must be a JSON object"
    if name not in schemas:
        known = ", ".join(sorted(schemas)) or "none"
        return None, f"there is no tool named {name!r} (the tools are: {known})"
    schema = schemas[name]
    if schema is None:
        return {"name": name, "args": _loosened(raw_args) if found.from_markup else raw_args}, None
    tries = [raw_args, _loosened(raw_args)] if found.from_markup else [raw_args]
    errors = ""
    for args in tries:
        try:
            model = schema.model_validate(args)
        except ValidationError as exc:
            errors = errors or "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(arguments)'}: {e['msg']}" for e in exc.errors()
            )
            continue
        if found.from_markup:  # the strings as the schema typed them ("42" -> 42), only the ones given
            args = model.model_dump(mode="json", include=set(args) & set(type(model).model_fields))
        return {"name": name, "args": args}, None
    return None, f"invalid arguments for {name}: {errors}"


def parse_text_calls(text: str, schemas: Mapping[str, type[BaseModel] | None]) -> TextCalls:
    """Tool calls written as text in ``text``, validated against ``schemas`` (tool name -> args model).

    A tool without a schema (``None``) accepts any object. Arguments given as a JSON string are decoded;
    markup arguments (``<parameter=build>42</parameter>``) are strings, decoded as JSON when the schema needs.
    """
    result = TextCalls()
    if not text or not text.strip():
        return result
    marked = _markup_calls(text, schemas)
    if marked:
        result.looks_like_call = True
        for found in marked:
            call, problem = _validated(found, schemas)
            if problem is not None:
                result.problems.append(problem)
            elif call is not None and call not in result.calls:
                result.calls.append(call)
        return result
    for snippet in _json_candidates(text):
        for found in _json_calls(snippet, explicit=False, form="JSON"):
            if found.name not in schemas and not found.keyed:
                continue  # {"name": "api-service", ...} in an answer is data, not a call
            result.looks_like_call = True
            call, problem = _validated(found, schemas)
            if problem is not None:
                result.problems.append(problem)
            elif call is not None and call not in result.calls:
                result.calls.append(call)
        if result.calls:
            break  # the first snippet with valid calls wins; the rest is usually the same call repeated
    return result


def looks_like_tool_call(text: str, tool_names: Iterable[str] = ()) -> bool:
    """True when ``text`` holds a call in any markup form, call-shaped JSON, or a ``<tool>`` tag of
    ``tool_names`` — whatever tool it names, valid or not."""
    if _MARKUP.search(text):
        return True
    if any(re.search(rf"<{re.escape(name)}>", text) for name in tool_names):
        return True
    for snippet in _json_candidates(text):
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
