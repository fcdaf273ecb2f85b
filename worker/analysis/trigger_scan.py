r"""Which trigger patterns the bulk scan can leave out without changing which lines it selects.

From the bulk scan the engine only needs the set of lines that some trigger matches (``kb.scan_triggers``);
which patterns matched is found again by the full scan of just those lines. A trigger whose every match ends on a
line that a *word signal* also matches (``\berror\b``, ``\bfail(?:ed|s|ure|ing)?\b``, ...) adds no line, and
most rules are such ("error: could not compile", "BUILD FAILED", "...Exception:"): leaving them out of the bulk
scan selects exactly the same lines and makes it ~10% cheaper.

A pattern is left out only when its text proves it: every top-level alternative contains a literal word with a
non-word character (or the end of the line) on both sides *in the pattern itself*, a word signal matches that
word whole, and nothing after the word in the pattern can match a newline (so the word is on the line where the
match ends). Whatever this module cannot decide (groups, classes, quantifiers around the word, inline flags)
keeps the pattern in the scan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A character class, as written in a rule (escapes inside, "]" first allowed).
_CLASS = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]")
_QUANTIFIER = re.compile(r"(?:[*+?]|\{\d*(?:,\d*)?\})[?+]?")
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")  # Hyperscan's \w without Unicode properties
# Escapes that never match a newline: \d \w \S, anchors and boundaries, and single control characters.
_SAME_LINE_ESCAPES = frozenset("dwSbBAzZGtrfeahN")
# Characters with a meaning in a regex (never a literal when unescaped).
_SPECIAL = frozenset("^$.|()[]{}*+?\\")
# A word signal: a trigger made only of whole words, such as \berror\b or \b(?:ERROR|FATAL|FAIL)\b.
_WORD_SIGNAL = re.compile(r"\\b[^\s^$.]*\\b")


def alternatives(regex: str) -> list[str]:
    """The top-level alternatives of ``regex``."""
    parts: list[str] = []
    depth = start = i = 0
    while i < len(regex):
        char = regex[i]
        skipped = _opaque_end(regex, i)
        if skipped is not None:
            i = skipped
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(regex[start:i])
            start = i + 1
        i += 1
    parts.append(regex[start:])
    return parts


def atoms(regex: str) -> list[tuple[str, str]]:
    """``regex`` (one alternative) as top-level ``(atom, quantifier)`` pairs; a group is one atom."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(regex):
        end = _atom_end(regex, i)
        atom = regex[i:end]
        quantifier = _QUANTIFIER.match(regex, end)
        i = quantifier.end() if quantifier else end
        out.append((atom, quantifier.group() if quantifier else ""))
    return out


def _opaque_end(regex: str, i: int) -> int | None:
    """Where the escape or character class at ``i`` ends (its brackets, bars and parentheses are not syntax),
    or None when ``regex[i]`` starts neither."""
    if regex[i] == "\\":
        return min(i + 2, len(regex))
    if regex[i] == "[":
        found = _CLASS.match(regex, i)
        return found.end() if found else i + 1
    return None


def _atom_end(regex: str, i: int) -> int:
    opaque = _opaque_end(regex, i)
    if opaque is not None:
        return opaque
    if regex[i] != "(":
        return i + 1
    depth = 0
    while i < len(regex):
        char = regex[i]
        skipped = _opaque_end(regex, i)
        if skipped is not None:
            i = skipped
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        i += 1
        if depth == 0:
            break
    return i


def _literal(atom: str) -> str | None:
    """The character a literal atom stands for (``a``, ``\\.``), else None."""
    if atom.startswith("\\") and len(atom) == 2 and not atom[1].isalnum():
        return atom[1]
    if len(atom) == 1 and atom not in _SPECIAL:
        return atom
    return None


def _is_word_char(char: str) -> bool:
    return bool(_ASCII_WORD.fullmatch(char))


def _always_non_word(atom: str, quantifier: str) -> bool:
    """The atom always puts at least one character there, and only non-word characters (\\s, ":", " ")."""
    if quantifier and (quantifier[0] in "*?" or quantifier.startswith("{0") or quantifier.startswith("{,")):
        return False
    char = _literal(atom)
    if char is not None:
        return not _is_word_char(char)
    return atom in ("\\s", "\\W")


def _may_match_newline(atom: str) -> bool:
    """Conservative: True unless the atom can certainly not match a newline."""
    if atom.startswith("("):
        inner = atom[1:-1]
        if not inner.startswith("?:"):
            return True  # a capturing group or a construct this module does not read
        return any(_may_match_newline(a) for alt in alternatives(inner[2:]) for a, _ in atoms(alt))
    if atom.startswith("["):
        if atom.startswith("[^"):
            return True
        escapes = re.findall(r"\\(.)", atom)
        return any(e.isalnum() and e not in _SAME_LINE_ESCAPES for e in escapes)
    if atom.startswith("\\") and len(atom) == 2:
        return atom[1].isalnum() and atom[1] not in _SAME_LINE_ESCAPES
    return atom == "\n"  # "." does not match a newline (no DOTALL flag)


def delimited_words(alternative: str) -> list[str]:
    """Literal words every match of ``alternative`` contains with a non-word character (or the end of the line)
    on both sides, on the line where the match ends."""
    parts = atoms(alternative)
    words: list[str] = []
    k = 0
    while k < len(parts):
        j, text = k, ""
        while j < len(parts) and not parts[j][1] and (char := _literal(parts[j][0])) is not None:
            text += char
            j += 1
        if j == k:
            k += 1
            continue
        left_bounded = k > 0 and _always_non_word(*parts[k - 1])
        right_bounded = j < len(parts) and (parts[j][0] == "$" or _always_non_word(*parts[j]))
        if not any(_may_match_newline(atom) for atom, _ in parts[j:]):
            for word in _ASCII_WORD.finditer(text):
                start, end = word.span()
                if (start > 0 or left_bounded) and (end < len(text) or right_bounded):
                    words.append(word.group())
        k = j
    return words


def is_word_signal(regex: str) -> bool:
    """Whole words only, so matching a delimited word on its own says it matches it within a line."""
    return bool(_WORD_SIGNAL.fullmatch(regex))


def redundant_triggers(rules: Sequence[tuple[str, bool]], triggers: Sequence[int]) -> set[int]:
    """The triggers (indexes into ``rules``, each ``(rule regex, caseless)``) the bulk scan can leave out."""
    covers: list[tuple[re.Pattern[str], bool]] = []
    for index in triggers:
        regex, caseless = rules[index]
        if is_word_signal(regex):
            try:
                covers.append((re.compile(regex, re.ASCII | (re.IGNORECASE if caseless else 0)), caseless))
            except re.error:
                continue
    out: set[int] = set()
    for index in triggers:
        regex, caseless = rules[index]
        if is_word_signal(regex) or re.search(r"\(\?[a-zA-Z]|\\Q", regex):
            continue  # a cover itself, or inline flags this module does not read
        if all(_covered(alt.removeprefix("^"), caseless, covers) for alt in alternatives(regex)):
            out.add(index)
    return out


def _covered(alternative: str, caseless: bool, covers: list[tuple[re.Pattern[str], bool]]) -> bool:
    # A caseless rule matches its words in any case: only a caseless signal is sure to match them too.
    return any(
        cover.fullmatch(word)
        for word in delimited_words(alternative)
        for cover, cover_caseless in covers
        if cover_caseless or not caseless
    )


# --------------------------------------------------------------------------------------------------------------
# Unanchored bulk forms.

#: An unanchored form keeps at least this many bytes every match must contain (literals, and the spaces of
#: ``\s{3}``): Hyperscan looks for them first. Fewer (") " of a numbered list, "E" and three spaces) select many
#: lines no rule wants, and cost the scan more than the anchor they replace (measured on the real logs of
#: ``bench.speed``: 3 bytes made the bulk scan slower than 5).
MIN_REQUIRED = 5


def unanchored_form(regex: str) -> str:
    r"""A cheaper form of ``regex`` for the bulk scan: each top-level alternative starting with ``^`` without the
    ``^`` and the atoms before its first literal or group (``^\s*Failed \S+`` -> ``Failed \S+``).

    Why: ``^`` stands for "at a line start, after an optional runner prefix" (kb.anchor_after_prefix), which
    Hyperscan runs as an automaton from every line start: the ~100 anchored triggers cost three quarters of the
    bulk scan. A suffix of an alternative matches wherever the alternative does and ends at the same byte, so
    the form selects every line the rule selects, and some more, on which the full scan of the selected lines
    finds no trigger (they are no evidence: ``LineRule.evidence``). An alternative whose rest requires fewer
    than :data:`MIN_REQUIRED` characters keeps its anchor.
    """
    if re.search(r"\(\?[a-zA-Z]|\\Q", regex):
        return regex  # inline flags this module does not read
    out = []
    for alternative in alternatives(regex):
        out.append(_unanchored(alternative) if alternative.startswith("^") else alternative)
    return "|".join(out)


def _unanchored(alternative: str) -> str:
    parts = atoms(alternative[1:])
    k = 0
    while k < len(parts) and _literal(parts[k][0]) is None and not parts[k][0].startswith("(?:"):
        k += 1
    rest = parts[k:]
    if not rest or _required(rest) < MIN_REQUIRED:
        return alternative
    return "".join(atom + quantifier for atom, quantifier in rest)


_REPEAT = re.compile(r"\{(\d+)")


def _required(parts: list[tuple[str, str]]) -> int:
    r"""How many characters every match of ``parts`` contains for sure: its literals and ``\s{n}`` spaces,
    those of a non-capturing group counted by its poorest alternative."""
    total = 0
    for atom, quantifier in parts:
        if quantifier[:1] in ("*", "?") or quantifier.startswith(("{0", "{,")):
            continue  # may be absent
        repeat = _REPEAT.match(quantifier)
        times = int(repeat.group(1)) if repeat else 1
        char = _literal(atom)
        if char is not None:
            total += times * len(char.encode("utf-8"))  # what Hyperscan looks for are bytes
        elif atom == "\\s":
            total += times
        elif atom.startswith("(?:"):
            total += times * min(_required(atoms(alt)) for alt in alternatives(atom[3:-1]))
    return total
