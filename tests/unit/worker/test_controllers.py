"""Controllers: canonical keys, the JENKINS_CONTROLLERS mapping and the one-controller shorthand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.services import make_settings
from worker.controllers import (
    ControllerConfigError,
    UnknownController,
    canonical_url,
    parse_controllers,
)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://ci.example.com/", "https://ci.example.com"),
        ("HTTPS://CI.Example.com:443/jenkins/", "https://ci.example.com/jenkins"),
        ("http://ci:8080", "http://ci:8080"),
        ("http://ci:80/", "http://ci"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
    ],
)
def test_controller_urls_have_one_canonical_key(url: str, key: str) -> None:
    assert canonical_url(url) == key


@pytest.mark.parametrize(
    "url", ["ftp://ci", "ci.example.com", "http://user:pw@ci/", "http://ci/?a=1", "", "http://ci:99999/"]
)
def test_rejects_what_is_not_a_plain_http_url(url: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(url)


def test_the_shorthand_is_the_default_and_can_name_its_public_url() -> None:
    controllers = parse_controllers(
        None, jenkins_url="http://jenkins:8080", user="u", token="t", public_url="http://localhost:8080/"
    )
    default = controllers.resolve(None)
    assert (default.url, default.api_url, default.user) == (
        "http://localhost:8080",
        "http://jenkins:8080/",
        "u",
    )
    assert controllers.resolve("HTTP://LOCALHOST:8080/") is default
    with pytest.raises(UnknownController) as caught:
        controllers.resolve("http://jenkins:8080")  # builds report the public URL, not the internal one
    assert "http://localhost:8080" in str(caught.value)


def test_a_mapping_from_json_or_a_file_adds_controllers(tmp_path: Path) -> None:
    mapping = {
        "https://ci-a.example.com/": {"user": "a", "token": "ta"},
        "https://ci-b.example.com": {"user": "b", "token": "tb", "api_url": "http://ci-b.internal:8080"},
    }
    for raw in (json.dumps(mapping), str(tmp_path / "controllers.json")):
        (tmp_path / "controllers.json").write_text(json.dumps(mapping))
        controllers = parse_controllers(raw)
        assert controllers.urls == ["https://ci-a.example.com", "https://ci-b.example.com"]
        assert controllers.default is None  # two of them and no JENKINS_URL: every event must say which
        assert controllers.resolve("https://ci-b.example.com/").api_url == "http://ci-b.internal:8080/"
        with pytest.raises(UnknownController):
            controllers.resolve(None)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ("/no/such/file.json", "neither a JSON object nor a readable file"),
        ('{"https://ci": {"user": "a"}}', "give both a user and an API token"),
        ('{"https://ci": {"user": "a", "token": "t", "password": "x"}}', "unknown keys ['password']"),
        ('{"ftp://ci": {}}', "must be an http(s) URL"),
        ("[]", "must be a JSON object"),
    ],
)
def test_bad_configuration_is_refused_naming_the_variable(raw: str, message: str) -> None:
    with pytest.raises(ControllerConfigError) as caught:
        parse_controllers(raw)
    assert "JENKINS_CONTROLLERS" in str(caught.value) and message in str(caught.value)


def test_settings_refuse_a_bad_mapping_at_start_without_printing_secrets() -> None:
    with pytest.raises(ValueError) as caught:
        make_settings(JENKINS_CONTROLLERS='{"https://ci": {"user": "a", "token": "s3cr3t-token"}, "x": 1}')
    assert "JENKINS_CONTROLLERS" in str(caught.value) and "s3cr3t-token" not in str(caught.value)
