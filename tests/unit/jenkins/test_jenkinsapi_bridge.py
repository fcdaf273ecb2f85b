"""jenkinsapi glue without a network: exact ``api/python`` decoding and a lazy ``Jenkins`` on our session."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from worker.jenkins import JenkinsClient, JenkinsError
from worker.jenkins.jenkinsapi_bridge import SessionRequester, parse_api_body


class _RecordingAdapter(BaseAdapter):
    """A requests transport that records what would be sent and never opens a socket."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent.append(str(request.url))
        raise AssertionError(f"unexpected request to {request.url}")

    def close(self) -> None:
        pass


def test_python_literals_are_decoded_exactly_including_the_words_in_strings() -> None:
    text = (
        '{"_class":"hudson.model.Queue","items":[{"why":"on TrueNAS (None idle)","stuck":True,"task":None}]}'
    )
    assert parse_api_body(text) == {
        "_class": "hudson.model.Queue",
        "items": [{"why": "on TrueNAS (None idle)", "stuck": True, "task": None}],
    }


def test_json_is_decoded_as_json() -> None:
    assert parse_api_body('{"a": [true, null, "\\u2018x\\u2019"]}') == {"a": [True, None, "\u2018x\u2019"]}


@pytest.mark.parametrize("text", ["<html>Jenkins is starting</html>", "__import__('os').system('true')", ""])
def test_anything_else_is_a_jenkins_error_naming_the_path_and_runs_nothing(text: str) -> None:
    with pytest.raises(JenkinsError, match="/queue/api/python") as caught:
        parse_api_body(text, url="http://ci.example/queue/api/python?tree=items[id]")
    assert caught.value.url == "http://ci.example/queue/api/python"  # no query string, no credentials


def test_the_jenkinsapi_object_is_lazy_and_shares_the_clients_session() -> None:
    client = JenkinsClient("https://ci.example/jenkins/", "bot", "11abc", timeout=7.0)
    adapter = _RecordingAdapter()
    client.http.session.mount("https://", adapter)
    api = client.api
    assert api is client.api  # built once
    assert isinstance(api.requester, SessionRequester)
    assert api.requester.session is client.http.session  # one pool: connection reuse, our retry adapter
    assert api.baseurl == "https://ci.example/jenkins"
    assert api.requester.timeout == 7.0
    assert adapter.sent == []  # lazy=True: constructing it asked Jenkins nothing


def test_jenkinsapi_file_uploads_are_refused_rather_than_sent_without_our_rules() -> None:
    client = JenkinsClient("https://ci.example/")
    with pytest.raises(NotImplementedError, match="upload"):
        client.api.requester.post_url("https://ci.example/pluginManager/uploadPlugin", files={"f": b"x"})


def test_escaped_quotes_and_backslashes_do_not_confuse_the_literal_words() -> None:
    text = r'{"a":"say \"True\" \\","b":None,"c":["None\\",False],"d":"x\nNone"}'
    assert parse_api_body(text) == {"a": 'say "True" \\', "b": None, "c": ["None\\", False], "d": "x\nNone"}


def test_other_python_literals_still_decode() -> None:
    assert parse_api_body("{'name': 'git', 'enabled': True}") == {"name": "git", "enabled": True}
