"""Signed page links: they open one analysis, and a changed or old one is refused."""

from __future__ import annotations

import time

import pytest

from tests.services import make_settings
from worker.links import LinkError, PageRef, page_url, read_page_token, sign_page

KEY = "k" * 32
REF = PageRef("https://ci.example.com", "team/api", 42)


def test_a_link_names_exactly_its_analysis() -> None:
    token = sign_page(KEY, REF)
    assert read_page_token(KEY, token, max_age_seconds=60) == REF


def _swap(token: str, index: int) -> str:
    """Another character at ``index`` (a full base64 digit: the last one may carry only padding bits)."""
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


@pytest.mark.parametrize(
    "change",
    [
        lambda t: _swap(t, 3),  # the payload: another job or build
        lambda t: _swap(t, t.rindex(".") + 2),  # the signature
        lambda t: _swap(t, t.index(".") + 2),  # the timestamp
        lambda t: "x" + t,
    ],
)
def test_a_changed_link_is_refused(change: object) -> None:
    token = sign_page(KEY, REF)
    with pytest.raises(LinkError) as caught:
        read_page_token(KEY, change(token), max_age_seconds=60)  # type: ignore[operator]
    assert not caught.value.expired


def test_another_key_and_an_old_link_are_refused() -> None:
    token = sign_page(KEY, REF)
    with pytest.raises(LinkError):
        read_page_token("other" * 8, token, max_age_seconds=60)
    time.sleep(1.1)
    with pytest.raises(LinkError) as caught:
        read_page_token(KEY, token, max_age_seconds=0)
    assert caught.value.expired


def test_page_url_needs_the_public_url_and_a_key() -> None:
    settings = make_settings(PUBLIC_API_URL="https://ai.example.com/", PAGE_LINK_SECRET=KEY)
    url = page_url(settings, REF.jenkins_url, REF.job, REF.build)
    assert url is not None and url.startswith("https://ai.example.com/analyses/")
    assert read_page_token(KEY, url.rsplit("/", 1)[1], max_age_seconds=60) == REF
    assert page_url(make_settings(PUBLIC_API_URL=None), "https://ci", "j", 1) is None
    assert settings.page_link_max_age_seconds == 30 * 86400  # the default: 30 days
