"""Secret redaction: nothing the engine returns may carry a credential onward (to MongoDB, an LLM, Jenkins).

Each rule replaces only the secret part and keeps enough shape (``password=<redacted>``) for a human to see
what was there. Rules are ordered from the most specific (private key blocks) to the most generic
(``key=value`` assignments).
"""

from __future__ import annotations

import re

MASK = "<redacted>"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys (possibly spanning lines when a whole block is redacted).
    (
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY"
            r"(?: BLOCK)?-----|\Z)",
            re.S,
        ),
        f"-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----",
    ),
    # Authorization / proxy headers: keep the scheme, drop the credential.
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?)[^\s'\",]+"
        ),
        rf"\1{MASK}",
    ),
    # user:password@ in URLs.
    # Bounded like the assignment rule below, so long unbroken text cannot make the scan quadratic.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,31}://[^/\s:@]{1,256}:)[^@\s/]{1,256}(@)"), rf"\1{MASK}\2"),
    # JSON Web Tokens.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
    # Well-known token shapes: AWS, GitHub, GitLab, Slack, Google, npm, PyPI, Stripe, OpenAI-style keys.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[A-Z0-9]{16}\b"), MASK),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b"), MASK),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), MASK),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b|\bpypi-[A-Za-z0-9_-]{50,}\b"), MASK),
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bsk-[A-Za-z0-9_-]{20,}\b"), MASK),
    # Assignments: password=..., "secret": "...", AWS_SECRET_ACCESS_KEY=..., --token=...
    # The name starts where a name can start and is bounded ({0,64}): otherwise every position inside a long
    # unbroken token (minified code, base64) rescans it, and redaction turns quadratic (4 KB took a second).
    (
        re.compile(
            r"(?i)((?<![a-z0-9_.-])(?:[a-z0-9_.-]{0,64}(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|"
            r"private[_-]?key|credentials?)[a-z0-9_.-]{0,64})[\"']?\s*[=:]\s*[\"']?)(?!<redacted>)([^\s\"',;&]{3,})"
        ),
        rf"\1{MASK}",
    ),
    # Options with the value as the next argument: --password SECRET, --token SECRET.
    (
        re.compile(
            r"(?i)(--?(?:password|passwd|token|secret|api-key|access-key)\s+)(?!<redacted>)([^\s-][^\s]{2,})"
        ),
        rf"\1{MASK}",
    ),
    # Command-line password flags: mysql -pSECRET, sshpass -p SECRET.
    (re.compile(r"(\s-p)(?=[^\s-])[^\s]{4,}"), rf"\1{MASK}"),
)

# Literals each rule cannot match without, in rule order: a rule whose literals are all absent is skipped (most
# text has no secret, and 13 regex passes over every excerpt were most of the analysis time on real logs).
# Lower-case literals are searched in the case-folded text (the rule is case-insensitive), the others as is.
_LITERALS: tuple[tuple[str, ...], ...] = (
    ("-----BEGIN ",),
    ("authorization",),
    ("://",),
    ("eyJ",),
    ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA"),
    ("gh", "github_pat_"),
    ("glpat-",),
    ("xox",),
    ("AIza",),
    ("npm_", "pypi-"),
    ("_live_", "_test_", "sk-"),
    ("passw", "pwd", "secret", "token", "api", "access", "private", "credential"),
    ("password", "passwd", "token", "secret", "api-key", "access-key"),
    ("-p",),
)
_CASELESS: tuple[bool, ...] = tuple(bool(p.flags & re.IGNORECASE) for p, _ in _RULES)
# The only non-ASCII characters that an ASCII letter matches under re.IGNORECASE; str.lower() does not map
# them to that letter, so they are folded first.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})

# Words after "token"/"password" that are prose, not secrets ("password is required", "token: expired").
_PROSE = frozenset(
    {"is", "was", "required", "missing", "expired", "invalid", "not", "for", "found", "none", "null"}
)


def redact(text: str) -> str:
    """Replace secrets in ``text`` with ``<redacted>``; everything else is kept as it was."""
    folded: str | None = None  # case-folded ``text``, computed when a case-insensitive rule needs it
    for (pattern, replacement), literals, caseless in zip(_RULES, _LITERALS, _CASELESS, strict=True):
        if caseless and folded is None:
            folded = (text if text.isascii() else text.translate(_FOLD)).lower()
        haystack = folded if caseless else text
        assert haystack is not None
        if not any(literal in haystack for literal in literals):
            continue
        before = text
        if replacement == rf"\1{MASK}" and pattern.groups == 2:
            text = pattern.sub(_keep_prose, text)
        else:
            text = pattern.sub(replacement, text)
        if text != before:
            folded = None
    return text


def _redact_unfiltered(text: str) -> str:
    """Every rule, without the literal prefilter: the reference the tests hold :func:`redact` to."""
    for pattern, replacement in _RULES:
        if replacement == rf"\1{MASK}" and pattern.groups == 2:
            text = pattern.sub(_keep_prose, text)
        else:
            text = pattern.sub(replacement, text)
    return text


def _keep_prose(match: re.Match[str]) -> str:
    value = match.group(2)
    if value.lower() in _PROSE:
        return match.group(0)
    return f"{match.group(1)}{MASK}"
