"""Plugin manager over HTTP: inventory, updates, security warnings, install behind confirm."""

from __future__ import annotations

import pytest

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import JenkinsClient, JenkinsNotFound


def test_installed_plugins_come_with_versions_and_dependencies(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    plugins = {p.short_name: p for p in client.plugins()}
    # seeded from tests/data/jenkins/plugins.json: workflow-aggregator 2.5 and its 6 dependencies
    aggregator = plugins["workflow-aggregator"]
    assert (aggregator.version, aggregator.long_name) == ("2.5", "Pipeline")
    assert {d.short_name for d in aggregator.dependencies} <= set(plugins)
    assert len(plugins) == 7


def test_updates_report_the_version_they_would_move_to(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_plugin("git", "4.0.0", long_name="Git plugin", update_version="5.2.1")
    updates = client.plugin_updates()
    assert [(p.short_name, p.version, p.update_version) for p in updates] == [("git", "4.0.0", "5.2.1")]


def test_security_warnings_match_installed_versions(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_plugin("script-security", "1.70")
    jenkins_double.add_plugin("git", "5.2.1")
    jenkins_double.add_warning(
        "script-security", r"1[.]([0-6]\d|7[0-5])(|[.-].*)", id="SECURITY-1336", message="Sandbox bypass"
    )
    jenkins_double.add_warning(
        "git", r"4[.].*", id="SECURITY-2478", message="fixed in 5.x"
    )  # not our version
    jenkins_double.add_warning("not-installed", r".*", id="SECURITY-1", message="irrelevant")
    jenkins_double.add_warning(
        "core", r"2[.]46[0-2](|[.-].*)", id="SECURITY-3314", message="CLI", type="core"
    )
    warnings = client.security_warnings()
    assert [(w.id, w.name, w.installed_version) for w in warnings] == [
        ("SECURITY-1336", "script-security", "1.70"),
        ("SECURITY-3314", "core", "2.462.3"),
    ]
    assert warnings[0].url == "https://www.jenkins.io/security/advisory/SECURITY-1336"


def test_install_is_a_dry_run_unless_confirmed(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_plugin(
        "git", "4.0.0", update_version="5.2.1", dependencies={"workflow-scm-step": "2.3"}
    )
    plan = client.install_plugin("git")
    assert (plan.action, plan.dry_run, plan.current_version, plan.target_version) == (
        "upgrade",
        True,
        "4.0.0",
        "5.2.1",
    )
    assert "confirm=True" in plan.message
    assert ("POST", "/pluginManager/installNecessaryPlugins") not in jenkins_double.requests
    assert jenkins_double.plugins["git"].version == "4.0.0"

    done = client.install_plugin("git", confirm=True)
    assert (done.action, done.dry_run) == ("upgrade", False)
    assert jenkins_double.installs == ["git@5.2.1"]
    assert client.install_plugin("git").action == "none"
    assert client.install_plugin("git@5.2.1").action == "none"


def test_a_pinned_version_must_be_the_one_jenkins_can_install(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.1")
    assert client.install_plugin("git@5.2.1").target_version == "5.2.1"
    with pytest.raises(ValueError, match=r"offers git 5\.2\.1, not 5\.0\.0"):
        client.install_plugin("git@5.0.0", confirm=True)
    assert jenkins_double.installs == []


def test_installing_a_new_plugin_lists_missing_dependencies(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_plugin(
        "blueocean",
        "1.27.9",
        installed=False,
        dependencies={"workflow-api": "2.8", "jenkins-design-language": "1"},
    )
    plan = client.install_plugin("blueocean")
    assert (plan.action, plan.current_version, plan.target_version) == ("install", None, "1.27.9")
    assert plan.missing_dependencies == ["jenkins-design-language"]
    client.install_plugin("blueocean", confirm=True)
    assert "blueocean" in {p.short_name for p in client.plugins()}


def test_unknown_and_malformed_plugin_names(client: JenkinsClient) -> None:
    with pytest.raises(JenkinsNotFound, match="no-such-plugin"):
        client.install_plugin("no-such-plugin")
    with pytest.raises(ValueError, match="name"):
        client.install_plugin("../etc/passwd")


def test_the_plugin_report_reads_each_source_once(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.1")
    jenkins_double.add_warning("git", r"4[.].*", id="SECURITY-2478", message="CSRF in git")
    start = len(jenkins_double.requests)
    report = client.plugin_report()
    assert [p.short_name for p in report.updates] == ["git"] and report.updates[0].update_version == "5.2.1"
    assert [w.id for w in report.warnings] == ["SECURITY-2478"]
    assert report.core_version == "2.462.3" and len(report.plugins) == 8
    assert sorted(jenkins_double.requests[start:]) == sorted(
        [
            ("GET", "/pluginManager/api/python"),  # jenkinsapi's Plugins, with tree=
            ("GET", "/api/json"),
            ("GET", "/updateCenter/site/default/api/json"),  # available updates
            ("GET", "/updateCenter/site/default/api/json"),  # the update site's URL
            ("GET", "/update-center.json"),
        ]
    )
