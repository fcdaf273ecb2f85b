"""Signed, expiring, read-only links to one analysis page (``/analyses/<token>``), for people.

Jenkins shows the link in the build description; whoever can see the build can open the page without an API
token. The token names exactly one analysis (controller, job, build) and carries its signing time; it is an
itsdangerous ``URLSafeTimedSerializer`` token (HMAC-SHA1 over the payload and timestamp, key from settings, salt
per purpose), so a changed character or an age over the configured maximum is refused, and it opens nothing but
that page (and the feedback form on it). The worker signs (it writes the link), the API verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

if TYPE_CHECKING:
    from worker.settings import Settings

#: Separates these tokens from any other use of the same key (a JWT secret, say).
SALT = "langchain-jenkins.analysis-page.v1"
PAGE_PATH = "/analyses/"


class LinkError(Exception):
    """The link cannot be honoured; ``expired`` tells an old link from a forged or damaged one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class PageRef:
    """The analysis a link opens."""

    jenkins_url: str
    job: str
    build: int


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT)


def sign_page(key: str, ref: PageRef) -> str:
    """The token for ``ref``'s page."""
    return str(_serializer(key).dumps([ref.jenkins_url, ref.job, ref.build]))


def read_page_token(key: str, token: str, *, max_age_seconds: int) -> PageRef:
    """The analysis ``token`` opens; :class:`LinkError` if it was changed, is not ours, or is too old."""
    try:
        data = _serializer(key).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise LinkError("this link has expired", expired=True) from exc
    except BadSignature as exc:
        raise LinkError("this link is not valid (it was changed or cut short)") from exc
    if (
        not isinstance(data, list)
        or len(data) != 3
        or not all(isinstance(v, str) for v in data[:2])
        or not isinstance(data[2], int)
    ):
        raise LinkError("this link is not valid")
    return PageRef(data[0], data[1], data[2])


def page_url(settings: Settings, jenkins_url: str, job: str, build: int) -> str | None:
    """The public URL of the page of one analysis, or ``None`` when ``PUBLIC_API_URL`` or a signing key is
    missing (then there is no page to link to)."""
    key = settings.page_link_key
    if not settings.public_api_url or key is None:
        return None
    token = sign_page(key, PageRef(jenkins_url, job, build))
    return f"{settings.public_api_url.rstrip('/')}{PAGE_PATH}{token}"
