"""Secret redaction: nothing the engine returns may carry a credential onward (to MongoDB, an LLM, Jenkins).

Two sets of rules, applied to the text that is *output* (excerpt blocks, summary, causes), never to the whole
log, so the engine's speed does not depend on them:

1. **Context rules** (here): a credential recognised by where it stands, not by its shape: ``-u user:PASS``,
   ``-p PASS`` after a login command, ``--password PASS``, ``password=...`` and ``"token": "..."``
   assignments, ``<password>`` elements, ``user:pass@`` in a URL of any scheme, ``Authorization:`` headers, PEM
   private-key blocks (and the body lines of one cut by an excerpt boundary). Each replaces only the secret and
   keeps the shape (``password=<redacted>``) so a human still sees what was there.
2. **Token shapes** from a maintained ruleset: the regex detectors of Yelp's ``detect-secrets`` (AWS, Azure
   storage, GitHub, GitLab, Slack tokens and webhooks, Stripe, SendGrid, npm, PyPI, Discord, Telegram, Twilio,
   JWT, Artifactory, ...), read from the installed package, so upgrading it brings its new shapes without a
   change here. detect-secrets over gitleaks because it is a Python package installed and upgraded like any
   other dependency; gitleaks' rules live in the Go tool's TOML and using them would mean copying and
   maintaining a fork of that file. A detector's match is widened to the whole token it sits in (its
   patterns are made to *detect* a line, e.g. the JWT one stops before the signature). A short list
   (:data:`_EXTRA_SHAPES`) adds the shapes detect-secrets lacks: Vault, Docker Hub, fine-grained GitHub,
   Google API, OpenAI project, Bitbucket, Discord webhooks, Stripe test keys.

Speed: every context rule is skipped unless one of its literals is in the text, and the detectors run on
google-re2 where their syntax allows (linear time: two of them are quadratic on Python's ``re``). The
detector patterns are cached as JSON keyed by the detect-secrets version, so a process that analyses one log
does not pay for importing it (``bench/redaction.py`` measures).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

MASK = "<redacted>"

# Words after "token"/"password" that are prose, not secrets ("password is required", "token: expired").
_PROSE = frozenset(
    {
        "is",
        "was",
        "required",
        "missing",
        "expired",
        "invalid",
        "not",
        "for",
        "found",
        "none",
        "null",
        "yes",
        "no",
    }
)


def _re2_options(flags: int) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not flags & re.IGNORECASE
    return options


# -- context rules ----------------------------------------------------------------------------------------------
# On google-re2 (linear time, and ~100x faster than ``re`` on these case-insensitive alternations). re2 has no
# lookarounds or back-references: where a rule needs one, its replacement function checks instead.

_PEM = r"(?s)-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)"
# A line that is nothing but a long run of base64 with upper and lower case and digits: the body of a key
# block whose BEGIN line fell outside the excerpt. Hex digests (one case) and words are left alone.
_KEY_BODY = r"(?m)^([ \t]*)([A-Za-z0-9+/]{60,}={0,2})[ \t]*$"
_AUTH_HEADER = r"\b((?:proxy-)?authorization\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest|negotiate|ntlm)\s+)?)([^\s'\",]+)"
# user:password@ in a URL of any scheme (the user may be empty: redis://:password@host).
_URL_USERINFO = r"\b([a-z][a-z0-9+.-]{0,31}://[^/\s:@]{0,256}:)([^@\s/]{1,256})(@)"
# curl/wget style user:password arguments: -u user:pass, --user=user:pass, --proxy-user user:pass.
_USER_OPTION = r"((?:^|\s)(?:-u|-U|--user|--proxy-user)(?:\s+|=)[\"']?[^\s:\"'@]{0,128}:)([^\s\"']{1,256})"
# -p PASS / -pPASS after a command that takes a password that way (docker/podman/helm ... login, mysql, sshpass,
# twine, redis-cli -a). Not everywhere: -p is a port, a parent-dirs flag or -pthread elsewhere.
_P_OPTION = (
    r"(\b(?:login|sshpass|mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|twine|mongo|mongosh|mongodump|"
    r"mongorestore|redis-cli)\b[^\n]{0,300}?\s(?:-p|-a)\s*[\"']?)([^\s\"'-][^\s\"']{2,})"
)
# --password VALUE / --password=VALUE and every option whose name says it holds a secret (not --password-stdin).
_SECRET_OPTION = (
    r"((?:^|[^\w-])--?([a-z0-9-]{0,40}(?:password|passwd|passphrase|token|secret|api-?key|access-?key|"
    r"account-?key|private-?key|auth)[a-z0-9-]{0,40})(?:\s+|=)[\"']?)([^\s\"'<>|-][^\s\"']{2,})"
)
_NOT_A_VALUE_OPTION = re.compile(r"-(?:stdin|file|env|type|url|method|mode|header)$")
# Assignments: password=..., "secret": "...", AWS_SECRET_ACCESS_KEY=..., AccountKey=...;, sig=... (Azure SAS).
# The name is bounded ({0,64}) so long unbroken text stays cheap.
_ASSIGNMENT = (
    r"((?:^|[^a-z0-9_.-])(?:[a-z0-9_.-]{0,64}(?:passw(?:or)?d|passwd|passphrase|pwd|secret|token|api[_-]?key|"
    r"access[_-]?key|account[_-]?key|private[_-]?key|signing[_-]?key|credentials?|_auth|auth[_-]?token|"
    r"client[_-]?secret|webhook[_-]?url)[a-z0-9_.-]{0,64}|auth|sig|signature)[\"']?\s*[=:]\s*)"
    r"(\"[^\"\n]{1,512}\"|'[^'\n]{1,512}'|[^\s\"',;&<>]{3,})"
)
# `aws configure set aws_session_token VALUE`, `npm config set //host/:_authToken VALUE`, `git config ... VALUE`.
_CONFIG_SET = (
    r"(\bconfig(?:ure)?\s+(?:set\s+|--global\s+|--local\s+|--add\s+)*[^\s=]{0,128}"
    r"(?:passw|token|secret|key|auth|extraheader)[^\s=]{0,64}(?:\s+|=)[\"']?)([^\s\"']{3,})"
)
# <password>...</password> in Maven settings.xml, NuGet.config and the like (same name checked on close).
_XML_SECRET = (
    r"(<((?:[a-z]+:)?(?:password|passphrase|privatekey|secret|token|apikey|accesstoken|cleartextpassword))>)"
    r"([^<]{1,1000})(</([^>]{1,64})>)"
)


def _keep(group: int) -> Callable[[Any], str]:
    """Replace group ``group`` (the secret) with the mask, keep everything else of the match."""

    def replace(match: Any) -> str:
        value = match.group(group)
        bare = value.strip("\"'")
        if bare.lower() in _PROSE or bare == MASK:
            return str(match.group(0))
        quote = value[0] if value[:1] in {'"', "'"} and value[-1:] == value[:1] and len(value) > 1 else ""
        start, end = match.start(group) - match.start(), match.end(group) - match.start()
        whole = match.group(0)
        return f"{whole[:start]}{quote}{MASK}{quote}{whole[end:]}"

    return replace


def _pem(match: Any) -> str:
    return f"-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----"


def _key_body(match: Any) -> str:
    body = match.group(2)
    if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body):
        return f"{match.group(1)}{MASK}"
    return str(match.group(0))


def _secret_option(match: Any) -> str:
    if _NOT_A_VALUE_OPTION.search(match.group(2)):
        return str(match.group(0))
    return _keep(3)(match)


def _xml_secret(match: Any) -> str:
    if match.group(5).lower() != match.group(2).lower():
        return str(match.group(0))
    return _keep(3)(match)


def _compile(pattern: str, caseless: bool) -> Any:
    import re2

    return re2.compile(pattern, _re2_options(re.IGNORECASE if caseless else 0))


class _LazyPattern:
    """A rule's pattern, compiled when a text first needs it: most texts need few rules (see the literals),
    and compiling all of them was a tenth of `jenkins-ai analyze`'s start-up."""

    __slots__ = ("_caseless", "_compiled", "_pattern")

    def __init__(self, pattern: str, caseless: bool) -> None:
        self._pattern, self._caseless = pattern, caseless
        self._compiled: Any = None

    def sub(self, replacement: Callable[[Any], str], text: str) -> str:
        if self._compiled is None:
            self._compiled = _compile(self._pattern, self._caseless)
        result: str = self._compiled.sub(replacement, text)
        return result


#: (pattern, case-insensitive, replacement, literals): a rule runs only if one of its literals is in the text
#: (case-folded for case-insensitive rules, whose literals are lower case). Order: most specific first.
_RULE_SPECS: tuple[tuple[str, bool, Callable[[Any], str], tuple[str, ...]], ...] = (
    (_PEM, False, _pem, ("-----BEGIN ",)),
    (_KEY_BODY, False, _key_body, ()),
    (_AUTH_HEADER, True, _keep(2), ("authorization",)),
    (_URL_USERINFO, True, _keep(2), ("://",)),
    (_USER_OPTION, False, _keep(2), ("-u", "-U", "--user", "--proxy-user")),
    (_XML_SECRET, True, _xml_secret, ("<",)),
    (_CONFIG_SET, True, _keep(2), ("config",)),
    (_P_OPTION, True, _keep(2), ("-p", "-a")),
    (_SECRET_OPTION, True, _secret_option, ("-",)),
    (
        _ASSIGNMENT,
        True,
        _keep(2),
        ("passw", "pwd", "secret", "token", "api", "access", "key", "credential", "auth", "sig", "phrase"),
    ),
)
_RULES: tuple[tuple[_LazyPattern, Callable[[Any], str], tuple[str, ...]], ...] = tuple(
    (_LazyPattern(pattern, caseless), replace, literals)
    for pattern, caseless, replace, literals in _RULE_SPECS
)
_CASELESS: tuple[bool, ...] = tuple(caseless for _, caseless, _, _ in _RULE_SPECS)
# The only non-ASCII characters that an ASCII letter matches under re.IGNORECASE; str.lower() does not map
# them to that letter, so they are folded first.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})

# -- token shapes -----------------------------------------------------------------------------------------------

#: Shapes detect-secrets (1.5) does not know, as (name, pattern, ``re`` flags).
_EXTRA_SHAPES: tuple[tuple[str, str, int], ...] = (
    ("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}", 0),
    ("docker-hub-pat", r"\bdckr_pat_[A-Za-z0-9_-]{20,}", 0),
    ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{40,}", 0),
    ("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}", 0),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}|\bya29\.[0-9A-Za-z_-]{20,}", 0),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}", 0),
    ("pypi-token", r"\bpypi-[A-Za-z0-9_-]{50,}", 0),
    ("stripe-key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}", 0),
    ("openai-key", r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}", 0),
    ("bitbucket-app-password", r"\bATBB[A-Za-z0-9_=.-]{20,}|\bATATT[A-Za-z0-9_=.-]{20,}", 0),
    ("discord-webhook", r"https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}", 0),
    ("azure-ad-client-secret", r"\b[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}", 0),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", 0),
)
#: Bumped when the cached pattern list changes shape.
_CACHE_FORMAT = 3
#: detect-secrets detectors left out: not credentials (IP addresses), or found better by a context rule (its
#: private-key detector finds the BEGIN line; the PEM rules mask the key itself).
_LEFT_OUT = frozenset({"IPPublicDetector", "PrivateKeyDetector"})
#: Characters of a token: a detector's match is widened over them (``.`` joins a JWT's parts, ``%`` an
#: URL-encoded key, ``+=`` base64; not ``/``, which would widen a token in a URL to the whole path).
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-+=.~%]")


_VERSION_LINE = re.compile(r"""^VERSION\s*=\s*['"]([^'"]+)['"]""", re.MULTILINE)


def _detect_secrets_version() -> str | None:
    """The installed detect-secrets' version, from its ``__version__.py`` without importing the package (its
    ``__init__`` loads every plugin) or ``importlib.metadata`` (~10 ms of a CLI run: it parses the METADATA
    file with the ``email`` package); ``importlib.metadata`` when that file does not say."""
    from importlib.util import find_spec

    spec = find_spec("detect_secrets")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        return None
    try:
        found = _VERSION_LINE.search(
            (Path(spec.origin).parent / "__version__.py").read_text(encoding="utf-8")
        )
    except OSError:
        found = None
    if found is not None:
        return found.group(1)
    from importlib import metadata  # pragma: no cover - a detect-secrets without __version__.py

    try:  # pragma: no cover
        return metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return None


def _detect_secrets_patterns() -> list[tuple[str, str, int]]:
    """(detector, pattern, ``re`` flags) of every detect-secrets regex detector, cached per version."""
    version = _detect_secrets_version()
    if version is None:  # pragma: no cover - a declared dependency
        return []
    from worker.analysis.kb import _cache_dir  # the engine's cache folder (compiled rules live there too)

    folder = _cache_dir()
    cache = folder / f"redact-detect-secrets-{version}-{_CACHE_FORMAT}.json" if folder is not None else None
    if cache is not None and cache.is_file():
        try:
            return [(str(n), str(p), int(f)) for n, p, f in json.loads(cache.read_text())]
        except (ValueError, TypeError, OSError):
            cache.unlink(missing_ok=True)
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    found: list[tuple[str, str, int]] = []
    plugin: Any
    for plugin in get_mapping_from_secret_type_to_class().values():
        if plugin.__name__ in _LEFT_OUT:
            continue
        try:
            denylist = plugin().denylist
        except (AttributeError, TypeError):  # entropy and keyword plugins have no regex denylist
            continue
        for pattern in denylist:
            flags = pattern.flags & (re.IGNORECASE | re.VERBOSE | re.MULTILINE | re.DOTALL)
            found.append((plugin.__name__, pattern.pattern, int(flags)))
    if cache is not None:
        try:
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(found))
            tmp.replace(cache)  # atomic: concurrent workers never read half a file
        except OSError:
            pass
    return found


class _Detector:
    """One token-shape pattern, on google-re2 when it accepts the syntax (linear time), else on ``re``.

    Compiled when a text first needs it: the set in :class:`_Shapes` rules most detectors out for most texts,
    and compiling all ~50 was ~4 ms of every `jenkins-ai analyze` run."""

    def __init__(self, name: str, pattern: str, flags: int) -> None:
        self.name = name
        self._pattern = pattern
        self._flags = flags
        self._compiled: Callable[[str], Iterator[Any]] | None = None

    @property
    def _search(self) -> Callable[[str], Iterator[Any]]:
        if self._compiled is None:
            pattern, flags = self._pattern, self._flags
            try:
                if flags & ~re.IGNORECASE:
                    raise ValueError("re2 takes no verbose, multi-line or dot-all flag")
                import re2

                self._compiled = re2.compile(pattern, _re2_options(flags)).finditer
            except Exception:  # lookarounds: the patterns re2 refuses are all bounded, so safe on ``re``
                self._compiled = re.compile(pattern, flags).finditer
        return self._compiled

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        for match in self._search(text):
            group = 1 if match.re.groups and match.group(1) else 0
            start, end = match.start(group), match.end(group)
            if end > start:
                yield start, end


#: Lookarounds re2 lacks, dropped from a pattern's prefilter copy (which may match more, never less).
_LOOKAROUND = re.compile(r"\(\?<?[=!][^()]*\)")
_WIDE_REPEAT = re.compile(r"\{(\d+),\d{4,}\}")


class _Shapes:
    """All token-shape detectors behind one re2 set: one linear pass says which detectors can match a text
    (usually none), and only those run (each detector alone costs a few microseconds even on a miss)."""

    def __init__(self, shapes: Sequence[tuple[str, str, int]]) -> None:
        import re2

        self.detectors = [_Detector(name, pattern, flags) for name, pattern, flags in shapes]
        self._set = re2.Set.SearchSet(_re2_options(0))
        self._members: list[int] = []  # set entry -> detector
        self._always: list[int] = []  # detectors the set cannot stand in for
        for index, (_, pattern, flags) in enumerate(shapes):
            if flags & re.VERBOSE and (re.search(r"\s|#", pattern) or flags & ~(re.VERBOSE | re.IGNORECASE)):
                self._always.append(index)
                continue
            loose = _WIDE_REPEAT.sub(r"{\1,}", _LOOKAROUND.sub("", pattern))
            try:
                self._set.Add(("(?i)" if flags & re.IGNORECASE else "") + loose)
            except Exception:
                self._always.append(index)
                continue
            self._members.append(index)
        self._set.Compile()

    def candidates(self, text: str) -> list[_Detector]:
        hits = self._set.Match(text) or []
        return [self.detectors[i] for i in (*(self._members[h] for h in hits), *self._always)]


@lru_cache(maxsize=1)
def _shapes() -> _Shapes:
    return _Shapes([*_detect_secrets_patterns(), *_EXTRA_SHAPES])


def _detectors() -> list[_Detector]:
    """Every token-shape detector (detect-secrets' first)."""
    return _shapes().detectors


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow [start, end) over token characters on both sides (a detector matched part of a token)."""
    while start < end and not _TOKEN_CHAR.match(text, start):
        start += 1
    while end > start and not _TOKEN_CHAR.match(text, end - 1):
        end -= 1
    while start > 0 and _TOKEN_CHAR.match(text, start - 1):
        start -= 1
    while end < len(text) and _TOKEN_CHAR.match(text, end):
        end += 1
    return start, end


def _mask_tokens(text: str, detectors: Sequence[_Detector]) -> str:
    masked = [(m.start(), m.end()) for m in re.finditer(re.escape(MASK), text)]
    spans: list[tuple[int, int]] = []
    for detector in detectors:
        for start, end in detector.spans(text):
            start, end = _widen(text, start, end)
            # A detector that matched a mask a context rule put there (BasicAuth's ``:<redacted>@``).
            if not any(s < end and start < e for s, e in masked):
                spans.append((start, end))
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    position = 0
    for start, end in spans:
        if end <= position:
            continue
        start = max(start, position)
        out.append(text[position:start])
        out.append(MASK)
        position = end
    out.append(text[position:])
    return "".join(out)


# -- entry points -----------------------------------------------------------------------------------------------


def redact(text: str) -> str:
    """Replace secrets in ``text`` with ``<redacted>``; everything else is kept as it was."""
    folded: str | None = None  # case-folded ``text``, computed when a case-insensitive rule needs it
    for (pattern, replacement, literals), caseless in zip(_RULES, _CASELESS, strict=True):
        if literals:
            if caseless and folded is None:
                folded = (text if text.isascii() else text.translate(_FOLD)).lower()
            haystack = folded if caseless else text
            assert haystack is not None
            if not any(literal in haystack for literal in literals):
                continue
        before = text
        text = pattern.sub(replacement, text)
        if text != before:
            folded = None
    return _mask_tokens(text, _shapes().candidates(text))


def _redact_unfiltered(text: str) -> str:
    """Every rule, without the literal prefilter: the reference the tests hold :func:`redact` to."""
    for pattern, replacement, _ in _RULES:
        text = pattern.sub(replacement, text)
    return _mask_tokens(text, _detectors())


def redact_mapping(values: Mapping[str, str]) -> dict[str, str]:
    """Name -> value pairs (build parameters, environment) with each value masked when it is a secret by its
    shape, or by its name (``DEPLOY_TOKEN=...``)."""
    out: dict[str, str] = {}
    for name, value in values.items():
        pair = f"{name}={value}"
        out[name] = MASK if redact(pair) != pair else redact(value)
    return out


def redact_json(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every string redacted; keys are kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(item) for item in value]
    return value
