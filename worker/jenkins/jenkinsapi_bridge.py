"""jenkinsapi on our transport: one pooled session, our retries, crumbs and errors, and ``tree=`` on every read.

jenkinsapi 0.3.23 models the controller well (job listing with folder resolution, the queue, nodes, plugins),
but its defaults are costly or fragile for a service that talks to Jenkins all day:

* its ``Requester`` opens its own ``requests.Session`` (a second connection pool, no backoff, errors that
  carry request headers and bodies) - :class:`SessionRequester` sends everything through
  :class:`~worker.jenkins.transport.JenkinsHttp` instead, so jenkinsapi calls share the client's
  connections, retries with backoff, lazy CSRF crumb and :class:`~worker.jenkins.errors.JenkinsError`
  hierarchy (URLs without credentials);
* ``Queue``, ``QueueItem`` and ``Plugins`` poll their whole object (``Plugins`` with ``depth=1``) - the
  ``Tree*`` subclasses below poll once with the fields our models read (``models.TREES``);
* it reads ``api/python`` and, when the answer is not JSON (any ``True``/``False``/``None`` in it), rewrites
  those words *textually* before ``json.loads``, which corrupts every string that contains them (an agent
  named "TrueNAS", a queue reason mentioning "None"). :func:`parse_api_body` translates those words only
  outside strings, which is exact.

Nothing here does I/O on import, and :class:`LiteralSafeJenkins` is built with ``lazy=True``; the ``Tree*``
containers poll when constructed (jenkinsapi's design), and that poll is the one read each client method makes.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from jenkinsapi.jenkins import Jenkins
from jenkinsapi.jobs import Jobs
from jenkinsapi.nodes import Nodes
from jenkinsapi.plugins import Plugins
from jenkinsapi.queue import Queue, QueueItem
from jenkinsapi.utils.requester import Requester

from worker.jenkins.errors import JenkinsError
from worker.jenkins.models import TREES
from worker.jenkins.transport import JenkinsHttp, _safe

# A JSON string token (escapes included) or one of Python's literal words. Strings are matched whole, so a word
# inside a string is never taken for a literal.
_PYTHON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\b(True|False|None)\b', re.S)
_JSON_WORDS = {"True": "true", "False": "false", "None": "null"}


def _to_json_word(match: re.Match[str]) -> str:
    word = match.group(1)
    return _JSON_WORDS[word] if word else match.group(0)


def parse_api_body(text: str, *, url: str = "") -> Any:
    """Decode a Stapler ``api/python`` (or ``api/json``) answer exactly.

    ``api/python`` is the JSON rendering with ``True``/``False``/``None`` for the literals. Translating those
    words outside strings and using ``json.loads`` is exact and about 4x faster than ``ast.literal_eval`` on a
    large plugin list; ``ast.literal_eval`` (which runs no code) remains the fallback for any other Python
    literal, such as single-quoted strings.
    """
    try:
        return json.loads(_PYTHON_TOKENS.sub(_to_json_word, text))
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise JenkinsError(
            f"Jenkins answered {urlsplit(url).path or 'its API'} with neither JSON nor a Python literal",
            url=_safe(url) if url else None,
        ) from exc


class SessionRequester(Requester):
    """A jenkinsapi ``Requester`` that sends every request through our :class:`JenkinsHttp`.

    Credentials live on the shared session, so they are never copied into jenkinsapi's request kwargs, and
    a 401/403/404/5xx surfaces as our :class:`~worker.jenkins.errors.JenkinsError` subclasses (whose
    messages hold no credentials) rather than ``requests.HTTPError`` or a ``JenkinsAPIException`` that
    echoes request headers.
    """

    session: requests.Session

    def __init__(self, http: JenkinsHttp) -> None:
        # max_retries=None: Requester would otherwise mount its own retry adapter; ours is on the session.
        super().__init__(baseurl=http.base_url, timeout=http.timeout, max_retries=None)
        self.session.close()  # the Session Requester made for itself: we use the client's pool instead
        self.session = http.session
        self._http = http

    def get_url(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        allow_redirects: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        return self._http.request(
            "GET",
            # Jenkins behind a TLS proxy may report http:// URLs; keep the scheme we were configured with.
            self._update_url_scheme(url),
            params=params,
            headers=headers,
            stream=stream,
            allow_redirects=allow_redirects,
        )

    def post_url(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        data: Any = None,
        files: Any = None,
        headers: dict[str, str] | None = None,
        allow_redirects: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        if files:
            raise NotImplementedError("worker.jenkins does not upload files through jenkinsapi")
        return self._http.request(
            "POST",
            self._update_url_scheme(url),
            params=params,
            data=data,
            headers=headers,
            allow_redirects=allow_redirects,
        )


class _LiteralSafeData:
    """Replaces ``JenkinsBase.get_data`` (same signature) to decode with :func:`parse_api_body`."""

    # ``self`` is Any: ``get_jenkins_obj`` comes from the jenkinsapi class this is mixed into (defining it
    # here would shadow theirs).
    def get_data(self: Any, url: str, params: dict[str, Any] | None = None, tree: str | None = None) -> Any:
        query = dict(params or {})
        if tree:
            query["tree"] = tree
        # Our requester raises JenkinsError for any error status, so a response here is a success.
        response = self.get_jenkins_obj().requester.get_url(url, query or None)
        return parse_api_body(response.text, url=url)


class LiteralSafeJenkins(_LiteralSafeData, Jenkins):
    """``jenkinsapi.jenkins.Jenkins`` decoding ``api/python`` exactly (job listing walks folders with it)."""


class TreeNodes(_LiteralSafeData, Nodes):
    """``computer/api/python`` polled once with every field :class:`~worker.jenkins.models.NodeInfo` reads
    (jenkinsapi's default asks for names only, then one ``Node`` poll per agent)."""

    def _poll(self, tree: str | None = None) -> Any:
        return super()._poll(tree=tree or TREES["nodes"])

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list((self._data or {}).get("computer") or [])


class TreeQueue(_LiteralSafeData, Queue):
    """``queue/api/python`` with ``tree=`` (jenkinsapi's default reads the whole queue, and iterating it
    builds one polling ``QueueItem`` per entry)."""

    def _poll(self, tree: str | None = None) -> Any:
        return super()._poll(tree=tree or TREES["queue"])

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list((self._data or {}).get("items") or [])


class TreeQueueItem(_LiteralSafeData, QueueItem):
    """One queue item, polled with ``tree=``; jenkinsapi's accessors (``why``, ``get_build_number``) work."""

    def _poll(self, tree: str | None = None) -> Any:
        return super()._poll(tree=tree or TREES["queue_item"])

    @property
    def row(self) -> dict[str, Any]:
        return dict(self._data or {})


class TreePlugins(_LiteralSafeData, Plugins):
    """``pluginManager/api/python`` with ``tree=`` instead of jenkinsapi's ``depth=1`` (which serialises
    every plugin bean in full); ``values()`` still gives jenkinsapi ``Plugin`` objects."""

    def _poll(self, tree: str | None = None) -> Any:
        return super()._poll(tree=tree or TREES["plugins"])


def job_names(jenkins: LiteralSafeJenkins) -> list[str]:
    """Full names of all jobs through jenkinsapi's ``Jobs``: ``api/python?tree=jobs[name,color,url]``, then
    ``tree=jobs[name,color]`` for each folder (anything without a ``color`` is a folder to descend into)."""
    # A fresh container each call: jenkinsapi caches a listing in it for good (``jenkins.jobs`` would go
    # stale as soon as someone creates a job).
    return list(Jobs(jenkins).keys())


def make_jenkins(http: JenkinsHttp, user: str | None, token: str | None) -> LiteralSafeJenkins:
    """A lazy jenkinsapi ``Jenkins`` sharing ``http``'s session, timeout, retries and credentials.

    ``use_crumb=False``: a Jenkins >= 2.96 exempts API-token requests from CSRF protection, and jenkinsapi's
    ``CrumbRequester`` would fetch a crumb before every POST. Our transport fetches one only when Jenkins
    refuses a POST for the lack of it (password auth, older controllers) and keeps it for the session.
    """
    return LiteralSafeJenkins(
        http.base_url.rstrip("/"),
        username=user or "",
        password=token or "",
        requester=SessionRequester(http),
        lazy=True,  # no request until something is asked for
        timeout=http.timeout,
        use_crumb=False,
    )
