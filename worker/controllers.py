"""The Jenkins controllers this deployment serves, and the credentials the worker uses for each (pure: no I/O
beyond reading the configuration file).

A controller is known by the URL its builds report (``env.JENKINS_URL``, the ``jenkins_url`` of every build
event); that URL, in canonical form (:func:`canonical_url`), is part of the key of every stored build, analysis,
signature, flaky record and resolution. The worker fetches logs only from a configured controller, through the
URL configured for it, never from a URL a client sent: an event naming anything else is refused (422), so a
build event can never make the worker send our credentials, or a request, somewhere new.

Configuration (``worker.settings``):

* ``JENKINS_URL`` + ``JENKINS_USER`` + ``JENKINS_TOKEN``: one controller, the default. When the URL the worker
  reaches it by differs from the one builds report (``http://jenkins:8080`` inside compose, ``http://localhost:8080``
  in the browser), ``JENKINS_PUBLIC_URL`` names the latter.
* ``JENKINS_CONTROLLERS``: a JSON object, or the path of a file holding one, mapping each controller's URL to its
  credentials::

      {"https://ci-a.example.com/": {"user": "assistant", "token": "11ab..."},
       "http://localhost:8080/":   {"user": "admin", "token": "11cd...", "api_url": "http://jenkins:8080/"}}

  ``api_url`` (optional) is where the worker reaches that controller when it differs from the public URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


class ControllerConfigError(ValueError):
    """``JENKINS_CONTROLLERS`` (or the one-controller shorthand) cannot be used; the message names the rule."""


class UnknownController(LookupError):
    """A URL that is not a configured controller (the API answers 422 naming ``jenkins_url``)."""

    def __init__(self, url: str, known: Iterable[str]) -> None:
        known = list(known)
        listed = ", ".join(known) if known else "none: set JENKINS_URL or JENKINS_CONTROLLERS"
        super().__init__(
            f"{url!r} is not a configured Jenkins controller (configured: {listed}); add it to "
            "JENKINS_CONTROLLERS, or set JENKINS_PUBLIC_URL when builds report another URL for JENKINS_URL"
        )
        self.url = url
        self.known = known


def canonical_url(url: str) -> str:
    """The key a controller URL is stored under: scheme and host lower-cased, the default port and the trailing
    slash dropped (``HTTPS://CI.example.com:443/jenkins/`` -> ``https://ci.example.com/jenkins``).

    Raises ``ValueError`` for anything that is not an absolute http(s) URL without user info, query or fragment.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("must be an http(s) URL such as 'https://ci.example.com/'")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{url!r} must be an http(s) URL such as 'https://ci.example.com/'")
    if parts.username or parts.password:
        raise ValueError(f"{url!r} must not carry credentials: give them as user and token")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r} must not have a query or a fragment")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} has an invalid port") from exc
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class Controller:
    """One Jenkins controller: the URL its builds report (the key), where the worker reaches it, credentials."""

    url: str
    api_url: str
    user: str | None = None
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.user is None) != (self.token is None):
            raise ControllerConfigError(f"{self.url}: give both a user and an API token, or neither")


class Controllers:
    """The configured controllers; one of them may be the default (the one-controller shorthand)."""

    def __init__(self, controllers: Iterable[Controller] = (), *, default: str | None = None) -> None:
        self._by_url: dict[str, Controller] = {}
        for controller in controllers:
            if controller.url in self._by_url:
                raise ControllerConfigError(f"{controller.url} is configured twice")
            self._by_url[controller.url] = controller
        if default is not None and default not in self._by_url:
            raise ControllerConfigError(f"the default controller {default} is not configured")
        if default is None and len(self._by_url) == 1:
            default = next(iter(self._by_url))
        self.default_url = default

    def __iter__(self) -> Any:
        return iter(self._by_url.values())

    def __len__(self) -> int:
        return len(self._by_url)

    @property
    def urls(self) -> list[str]:
        return list(self._by_url)

    @property
    def default(self) -> Controller | None:
        return self._by_url[self.default_url] if self.default_url else None

    def get(self, url: str) -> Controller | None:
        """The controller ``url`` names (in any spelling :func:`canonical_url` accepts), or ``None``."""
        try:
            return self._by_url.get(canonical_url(url))
        except ValueError:
            return None

    def resolve(self, url: str | None) -> Controller:
        """The controller ``url`` names, or the default one when ``url`` is ``None``; raises
        :class:`UnknownController` otherwise (also when there is no default to fall back on)."""
        if url is None:
            if self.default is None:
                raise UnknownController("(none given)", self.urls)
            return self.default
        controller = self.get(url)
        if controller is None:
            raise UnknownController(url, self.urls)
        return controller


def parse_controllers(
    raw: str | None,
    *,
    jenkins_url: str | None = None,
    user: str | None = None,
    token: str | None = None,
    public_url: str | None = None,
) -> Controllers:
    """Build :class:`Controllers` from ``JENKINS_CONTROLLERS`` (JSON or a file path) and the one-controller
    shorthand (``JENKINS_URL``/``USER``/``TOKEN``, ``JENKINS_PUBLIC_URL``), which is the default when given."""
    controllers: list[Controller] = []
    default: str | None = None
    if jenkins_url:
        try:
            key = canonical_url(public_url or jenkins_url)
            api = canonical_url(jenkins_url)
        except ValueError as exc:
            name = "JENKINS_PUBLIC_URL" if public_url else "JENKINS_URL"
            raise ControllerConfigError(f"{name}: {exc}") from None
        controllers.append(Controller(key, api + "/", user, token))
        default = key
    elif public_url:
        raise ControllerConfigError("JENKINS_PUBLIC_URL: set JENKINS_URL too (where the worker reaches it)")
    if raw and raw.strip():
        for controller in _from_mapping(_load(raw)):
            if controller.url == default:
                continue  # the shorthand and the mapping name the same controller: the shorthand wins
            controllers.append(controller)
    return Controllers(controllers, default=default)


def _load(raw: str) -> Any:
    text = raw.strip()
    source = "JENKINS_CONTROLLERS"
    if not text.startswith(("{", "[")):
        path = Path(text).expanduser()
        if not path.is_file():
            raise ControllerConfigError(
                f"JENKINS_CONTROLLERS: {text!r} is neither a JSON object nor a readable file"
            )
        source = f"JENKINS_CONTROLLERS file {path}"
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ControllerConfigError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def _from_mapping(data: Any) -> list[Controller]:
    if not isinstance(data, Mapping) or not data:
        raise ControllerConfigError(
            'JENKINS_CONTROLLERS: must be a JSON object mapping each controller URL to {"user": ..., "token": ...}'
        )
    out: list[Controller] = []
    for url, entry in data.items():
        where = f"JENKINS_CONTROLLERS[{url!r}]"
        if not isinstance(entry, Mapping):
            raise ControllerConfigError(
                f'{where}: must be an object such as {{"user": "bot", "token": "..."}}'
            )
        unknown = sorted(set(entry) - {"user", "token", "api_url"})
        if unknown:
            raise ControllerConfigError(f"{where}: unknown keys {unknown} (known: user, token, api_url)")
        for name in ("user", "token", "api_url"):
            value = entry.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ControllerConfigError(f"{where}.{name}: must be a non-empty string")
        try:
            key = canonical_url(url)
            api = canonical_url(entry.get("api_url") or url)
        except ValueError as exc:
            raise ControllerConfigError(f"{where}: {exc}") from None
        try:
            out.append(Controller(key, api + "/", entry.get("user"), entry.get("token")))
        except ControllerConfigError as exc:
            raise ControllerConfigError(f"{where}: {exc}") from None
    return out
