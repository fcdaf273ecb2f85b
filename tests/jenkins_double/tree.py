"""Stapler's export flavours: the ``tree=`` query parameter (parse it, cut a document down to the requested
fields) and the ``api/python`` rendering.

Grammar (as Stapler implements it): ``fields := field ("," field)*``,
``field := name ("[" fields "]")? range?``, ``range := "{" (M | M "," | "," N | M "," N) "}"``.
An exported object without a sub-tree keeps only ``_class`` (so a client that forgets to name the sub-fields
it reads gets nothing, as with a real Jenkins); a plain map is a value and is kept whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TreeNode:
    children: dict[str, TreeNode] = field(default_factory=dict)
    slice_: tuple[int | None, int | None] | None = None


def parse_tree(spec: str) -> TreeNode:
    """Parse a ``tree=`` value; raises ``ValueError`` on malformed input (Jenkins answers 400 then)."""
    node, pos = _parse_fields(spec, 0)
    if pos != len(spec):
        raise ValueError(f"unexpected {spec[pos]!r} at {pos} in tree={spec!r}")
    return node


def _parse_fields(spec: str, pos: int) -> tuple[TreeNode, int]:
    node = TreeNode()
    while True:
        start = pos
        while pos < len(spec) and spec[pos] not in ",[]{}":
            pos += 1
        name = spec[start:pos].strip()
        if not name:
            raise ValueError(f"empty field name at {start} in tree={spec!r}")
        child = TreeNode()
        if pos < len(spec) and spec[pos] == "[":
            child, pos = _parse_fields(spec, pos + 1)
            if pos >= len(spec) or spec[pos] != "]":
                raise ValueError(f"missing ']' in tree={spec!r}")
            pos += 1
        if pos < len(spec) and spec[pos] == "{":
            end = spec.index("}", pos)
            child.slice_ = _parse_range(spec[pos + 1 : end])
            pos = end + 1
        node.children[name] = child
        if pos < len(spec) and spec[pos] == ",":
            pos += 1
            continue
        return node, pos


def _parse_range(text: str) -> tuple[int | None, int | None]:
    if "," not in text:
        n = int(text)
        return n, n + 1
    lo, hi = text.split(",", 1)
    return (int(lo) if lo.strip() else None, int(hi) if hi.strip() else None)


def apply_tree(value: Any, node: TreeNode | None) -> Any:
    """Keep only the fields named by ``node`` (``None`` = no tree given: everything)."""
    if node is None:
        return value
    if isinstance(value, list):
        items = value
        if node.slice_ is not None:
            items = items[node.slice_[0] : node.slice_[1]]
        return [apply_tree(v, node) for v in items]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        if "_class" in value:
            out["_class"] = value["_class"]
        for name, child in node.children.items():
            if name in value:
                out[name] = _apply_child(value[name], child)
        return out
    return value


def _apply_child(value: Any, child: TreeNode) -> Any:
    if not child.children:
        if isinstance(value, dict):
            # An exported bean (it has ``_class``) shrinks to its class; a plain map (e.g. a plugin's
            # ``dependencies``) is a value and comes back whole.
            return {"_class": value["_class"]} if "_class" in value else value
        if isinstance(value, list):
            items = value if child.slice_ is None else value[child.slice_[0] : child.slice_[1]]
            return [_apply_child(v, child) for v in items]
        return value
    return apply_tree(value, child)


def to_python_literal(value: Any) -> str:
    """Render a document the way Stapler's ``api/python`` does: the JSON rendering, but with ``True``,
    ``False`` and ``None`` for the literals, so that ``ast.literal_eval`` reads it back.

    Strings use JSON's escapes (``\\"``, ``\\n``, ``\\uXXXX`` for control characters), which Python string
    literals understand the same way; other characters are written as they are.
    """
    if value is True:
        return "True"
    if value is False:
        return "False"
    if value is None:
        return "None"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{to_python_literal(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_python_literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
