"""Normalisation, fingerprints and similarity vectors: the same failure in another build looks the same here.

Build logs of the same failure differ in numbers, timestamps, durations, hashes, temporary paths, ports and
workspace suffixes. :func:`normalize_line` masks all of those, so a fingerprint (exact match) or a sparse
tf-idf-like vector (near match) can be compared across builds and jobs.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter

# Order matters: the broad number mask must come after the shapes that contain numbers.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Leading timestamps (Jenkins timestamper, GitHub Actions, syslog-like) carry no meaning.
    (
        re.compile(
            r"^\s*\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?\s*"
            r"|^\s*\[?\d\d:\d\d:\d\d(?:[.,]\d+)?\]?\s+"
        ),
        "",
    ),
    (re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "<ts>"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b"), "<time>"),
    (
        re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
        "<uuid>",
    ),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7,}\b"), "<hex>"),
    (re.compile(r"0x[0-9a-fA-F]+"), "<hex>"),
    # Temporary and per-build directories.
    (
        re.compile(r"(?:/tmp|/var/folders|/private/var|C:\\Users\\[^\\\s]+\\AppData\\Local\\Temp)[^\s'\":]*"),
        "<tmp>",
    ),
    (re.compile(r"(workspace/[^/\s]+?)@\d+"), r"\1"),
    (re.compile(r"\d+(?:\.\d+)?"), "0"),
    (re.compile(r"\s+"), " "),
)


def normalize_line(line: str) -> str:
    """Mask what changes between builds of the same failure (numbers, times, ids, temp paths)."""
    for pattern, replacement in _MASKS:
        line = pattern.sub(replacement, line)
    return line.strip()


def fingerprint_text(text: str) -> str:
    """A stable hex digest of ``text`` after normalising every line; blank lines are ignored."""
    normalised = "\n".join(n for n in (normalize_line(line) for line in text.splitlines()) if n)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]+")
# Words that appear in nearly every failing log: they say nothing about *which* failure this is.
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "is",
        "was",
        "be",
        "for",
        "with",
        "by",
        "from",
        "as",
        "it",
        "this",
        "that",
        "error",
        "errors",
        "failed",
        "failure",
        "fail",
        "info",
        "warn",
        "warning",
        "debug",
        "line",
        "lines",
        "build",
    ]
)
_MAX_FEATURES = 256


def text_vector(text: str) -> dict[str, float]:
    """A sparse, L2-normalised bag of words and word pairs of the normalised text.

    Keys are plain tokens (``[A-Za-z0-9_ ]``), safe as MongoDB field names. Term frequencies are dampened
    (1 + log tf) so a repeated line does not dominate; only the strongest features are kept.
    """
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        words = [w.lower() for w in _TOKEN.findall(normalize_line(line))]
        words = [w for w in words if w not in _STOP and len(w) <= 40]
        counts.update(words)
        counts.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    if not counts:
        return {}
    weights = {k: 1.0 + math.log(v) for k, v in counts.most_common(_MAX_FEATURES)}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {k: w / norm for k, w in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine similarity of two sparse vectors (1.0 = same direction, 0.0 = nothing in common)."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b.get(k, 0.0) for k, w in a.items())
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return max(0.0, min(1.0, dot / (na * nb)))
