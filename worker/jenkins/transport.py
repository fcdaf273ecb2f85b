"""HTTP to Jenkins: one pooled ``requests.Session`` with auth, timeouts, retries, CSRF crumbs and errors.

Everything in :mod:`worker.jenkins` goes through :class:`JenkinsHttp`, so each rule holds in one place:

* **Connection reuse** - one session (one urllib3 pool) per client.
* **Retries with backoff** on connection errors and on 500/502/503/504 (urllib3 ``Retry``; ``Retry-After`` is
  honoured). Only idempotent methods are retried after a response; a POST is retried only when the
  connection could not be made, so a trigger is never sent twice.
* **Timeouts** on every request (connect and read).
* **CSRF crumbs**: a Jenkins 2.96+ controller does not ask for a crumb when the caller authenticates with an
  API token, so we do not fetch one up front (that would cost a call per POST). If a POST is refused for a
  missing crumb (403 mentioning "crumb", e.g. password auth or an older controller), we fetch
  ``crumbIssuer/api/json`` once, keep it for the session (crumbs are bound to the session cookie) and retry.
* **Errors**: 401/403 -> :class:`JenkinsAuthError`, 404 -> :class:`JenkinsNotFound`, 5xx after the retries
  or no connection -> :class:`JenkinsUnavailable`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from worker.jenkins.errors import JenkinsAuthError, JenkinsError, JenkinsNotFound, JenkinsUnavailable
from worker.jenkins.models import TREES

log = logging.getLogger(__name__)

RETRY_STATUSES = (500, 502, 503, 504)


class JenkinsHttp:
    """Low-level HTTP access to one Jenkins controller; paths are relative to ``base_url``."""

    def __init__(
        self,
        base_url: str,
        user: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(
                f"base_url: must be an http(s) URL such as 'https://ci.example.com/', got {base_url!r}"
            )
        if (user is None) != (token is None):
            raise ValueError("user/token: give both a Jenkins user and an API token, or neither")
        if timeout <= 0:
            raise ValueError(f"timeout: must be > 0 seconds, got {timeout!r}")
        if retries < 0:
            raise ValueError(f"retries: must be >= 0, got {retries!r}")
        # A trailing slash makes urljoin keep a context path such as /jenkins/.
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()
        if user is not None and token is not None:
            self.session.auth = (user, token)
        self.session.headers["Accept"] = "application/json, text/plain;q=0.9, */*;q=0.5"
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=RETRY_STATUSES,
            # Idempotent methods only: a POST is retried on connect errors only, never after Jenkins saw it.
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
            # Hand the last 5xx back so we can raise JenkinsUnavailable with its status.
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._crumb: dict[str, str] | None = None

    def url(self, path: str) -> str:
        """Absolute URL for a path relative to the base URL, a server-absolute path (``/jenkins/job/...``, as
        found in wfapi ``_links``) or an absolute URL."""
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith("/"):
            return urljoin(self.base_url, path)
        return self.base_url + path

    def probe(
        self, path: str, *, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> requests.Response:
        """One GET without retries or backoff, for health checks that must answer fast when Jenkins is down.

        Shares the session's credentials and headers but not its retrying connection pool.
        """
        url = self.url(path)
        try:
            response = requests.get(
                url,
                params=params,
                auth=self.session.auth,
                headers=dict(self.session.headers),
                timeout=min(timeout, self.timeout),
            )
        except requests.exceptions.RequestException as exc:
            raise JenkinsUnavailable(
                f"cannot reach Jenkins at {self.base_url}: {exc.__class__.__name__}", url=_safe(url)
            ) from exc
        _raise_for_status(response, url)
        return response

    def close(self) -> None:
        self.session.close()

    # -- requests -------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send one request (with the retries above) and return the response, or raise a
        :class:`JenkinsError`."""
        url = self.url(path)
        all_headers = dict(headers or {})
        if method != "GET" and self._crumb:
            all_headers.update(self._crumb)
        response = self._send(method, url, params, data, all_headers, stream, allow_redirects)
        if method != "GET" and response.status_code == 403 and _mentions_crumb(response):
            # The controller wants a crumb for this session: fetch one and try once more.
            response.close()
            self._crumb = self._fetch_crumb()
            all_headers.update(self._crumb)
            response = self._send(method, url, params, data, all_headers, stream, allow_redirects)
        _raise_for_status(response, url)
        return response

    def get_json(self, path: str, tree: str, *, params: dict[str, Any] | None = None) -> Any:
        """GET ``<path>/api/json?tree=<tree>`` (``path`` may be "" for the root) and decode it."""
        if not tree:
            raise ValueError("tree: every JSON call names the fields it reads")
        api = f"{path.rstrip('/')}/api/json" if path else "api/json"
        response = self.request("GET", api, params={"tree": tree, **(params or {})})
        try:
            return response.json()
        except ValueError as exc:
            raise JenkinsError(
                f"Jenkins answered {api} with something that is not JSON",
                status=response.status_code,
                url=api,
            ) from exc

    def post(
        self,
        path: str,
        *,
        data: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST without following redirects: Jenkins answers most actions with a 302/303 to a page we
        don't need, and the ``Location`` itself is sometimes the answer (a queue item URL)."""
        return self.request("POST", path, data=data, params=params, headers=headers, allow_redirects=False)

    def _send(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        data: Any,
        headers: dict[str, str],
        stream: bool,
        allow_redirects: bool,
    ) -> requests.Response:
        try:
            return self.session.request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                stream=stream,
                allow_redirects=allow_redirects,
                timeout=self.timeout,
            )
        except requests.exceptions.RetryError as exc:  # only when raise_on_status is set; kept for safety
            raise JenkinsUnavailable(f"Jenkins kept failing: {_path_of(url)}", url=_safe(url)) from exc
        except requests.exceptions.Timeout as exc:
            raise JenkinsUnavailable(
                f"Jenkins did not answer within {self.timeout}s: {method} {_path_of(url)}", url=_safe(url)
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise JenkinsUnavailable(
                f"cannot connect to Jenkins at {self.base_url}: {exc.__class__.__name__}", url=_safe(url)
            ) from exc

    def _fetch_crumb(self) -> dict[str, str]:
        response = self._send(
            "GET", self.url("crumbIssuer/api/json"), {"tree": TREES["crumb"]}, None, {}, False, True
        )
        if response.status_code == 404:
            raise JenkinsAuthError(
                "Jenkins refused the request for a missing CSRF crumb but has no crumb issuer",
                status=403,
                url=_safe(response.url),
            )
        _raise_for_status(response, response.url)
        body = response.json()
        return {str(body["crumbRequestField"]): str(body["crumb"])}


def _mentions_crumb(response: requests.Response) -> bool:
    # Jenkins' CrumbFilter answers "No valid crumb was included in the request" (HTML) with a 403.
    return "crumb" in (response.reason or "").lower() or b"crumb" in response.content[:4096].lower()


def _path_of(url: str) -> str:
    return urlsplit(url).path


def _safe(url: str) -> str:
    """The URL without user info or query string, fit for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def _raise_for_status(response: requests.Response, url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    where = _safe(url)
    response.close()
    if status == 401:
        raise JenkinsAuthError(
            "Jenkins rejected the credentials (401): check JENKINS_USER and JENKINS_TOKEN (an API token)",
            status=status,
            url=where,
        )
    if status == 403:
        raise JenkinsAuthError(
            f"Jenkins denied {_path_of(url)} (403): the user lacks the permission", status=status, url=where
        )
    if status == 404:
        raise JenkinsNotFound(f"not found in Jenkins: {_path_of(url)}", status=status, url=where)
    if status >= 500:
        raise JenkinsUnavailable(
            f"Jenkins answered {status} for {_path_of(url)} after retries", status=status, url=where
        )
    raise JenkinsError(f"Jenkins answered {status} for {_path_of(url)}", status=status, url=where)
