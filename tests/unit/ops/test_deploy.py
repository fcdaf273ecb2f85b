"""The deployment files say what the code does: alert rules that load and fire, a compose file that parses,
k8s objects that are well-formed and agree with each other, and README figures that match the code."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from worker.analysis import load_knowledge_base
from worker.queue_depth import DEFAULT_QUEUES
from worker.service_cli import serve

REPO = Path(__file__).resolve().parents[3]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run scripts/system-deps.sh (make setup-system)")
    return path


def test_alert_rules_load_and_fire_on_the_series_that_should_raise_them() -> None:
    promtool = _tool("promtool")
    rules = REPO / "deploy" / "prometheus-alerts.yml"
    checked = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 6 rules found" in checked.stdout
    tested = subprocess.run(
        [promtool, "test", "rules", str(REPO / "tests" / "data" / "prometheus" / "alerts_test.yml")],
        capture_output=True,
        text=True,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_prometheus_config_is_valid_and_loads_the_alert_rules(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounts = dict(v.split(":")[:2] for v in compose["services"]["prometheus"]["volumes"])
    (rule_file,) = config["rule_files"]
    assert (
        mounts["./deploy/prometheus-alerts.yml"] == rule_file
    )  # compose mounts the rules where they are read
    config["rule_files"] = [str(REPO / "deploy" / "prometheus-alerts.yml")]
    local = tmp_path / "prometheus.yml"
    local.write_text(yaml.safe_dump(config))
    checked = subprocess.run(
        [_tool("promtool"), "check", "config", str(local)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert {job["job_name"] for job in config["scrape_configs"]} == {"api", "worker", "flower"}


def test_compose_file_parses_without_an_engine() -> None:
    command = (
        [_tool("docker-compose"), "config", "-q"]
        if shutil.which("docker-compose")
        else ["docker", "compose", "config", "-q"]
    )
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _k8s() -> list[dict[str, Any]]:
    return [
        d
        for f in sorted((REPO / "deploy" / "k8s").glob("*.yaml"))
        for d in yaml.safe_load_all(f.read_text())
        if d
    ]


def test_k8s_objects_are_well_formed_and_agree_with_each_other() -> None:
    objects = _k8s()
    for obj in objects:
        assert {"apiVersion", "kind", "metadata"} <= set(obj) and obj["metadata"].get("name"), obj
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    for name, deployment in by_kind["Deployment"].items():
        spec = deployment["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items(), name
        for container in spec["template"]["spec"]["containers"]:
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef") or source.get("secretRef")
                kind = "ConfigMap" if "configMapRef" in source else "Secret"
                assert ref["name"] in by_kind[kind], (name, ref)
            for var in container.get("env", []):
                secret = var.get("valueFrom", {}).get("secretKeyRef")
                if secret:
                    assert secret["key"] in by_kind["Secret"][secret["name"]]["stringData"], (name, secret)
        for volume in spec["template"]["spec"].get("volumes", []):
            claim = volume.get("persistentVolumeClaim")
            if claim:
                assert claim["claimName"] in by_kind["PersistentVolumeClaim"], (name, claim)
    secret = by_kind["Secret"]["langchain-jenkins"]["stringData"]
    assert len(secret["JWT_SECRET"].encode()) >= 32  # the services refuse a shorter one


def test_workers_autoscale_on_the_length_of_the_queue_the_api_sends_to() -> None:
    (scaled,) = [o for o in _k8s() if o["kind"] == "ScaledObject"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    target = scaled["spec"]["scaleTargetRef"]["name"]
    deployments = {o["metadata"]["name"]: o for o in _k8s() if o["kind"] == "Deployment"}
    assert "jenkins-ai" in deployments[target]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] in DEFAULT_QUEUES
    assert int(trigger["metadata"]["listLength"]) >= 1
    # KEDA takes every metadata value as a string.
    assert all(isinstance(v, str) for v in trigger["metadata"].values())


def test_the_images_run_the_commands_with_the_documented_thread_count() -> None:
    api = (REPO / "Dockerfile.api").read_text()
    worker = (REPO / "Dockerfile.worker").read_text()
    assert 'CMD ["jenkins-ai", "serve"' in api and 'CMD ["jenkins-ai", "worker"' in worker
    assert "HEALTHCHECK" in worker and 'inspect ping --timeout 10 -d "celery@${HOSTNAME}"' in worker
    assert all("PROMETHEUS_MULTIPROC_DIR" not in line for line in re.findall(r"^ENV .*$", worker, re.M))
    threads = int(re.search(r'"--threads", "(\d+)"', api).group(1))  # type: ignore[union-attr]
    default = next(p.default for p in serve.params if p.name == "threads")
    assert threads == default
    for doc in ("README.md", "api/README.md"):
        mentioned = {int(n) for n in re.findall(r"(\d+) threads", (REPO / doc).read_text())}
        assert mentioned == {threads}, (doc, mentioned)


def test_readme_states_the_knowledge_base_as_it_is() -> None:
    kb = load_knowledge_base()
    readme = (REPO / "README.md").read_text()
    phrase = f"{len(kb.patterns)} patterns for {len(kb.causes)} known causes"
    assert phrase in readme, f"README.md should say '{phrase}' (update it with the knowledge base)"


def _name(requirement: str) -> str:
    return (
        re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
        .lower()
        .replace("_", "-")
        .replace(".", "-")
    )


def test_every_dependency_is_pinned_in_the_lock_exports() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for requirements in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in requirements if not r.startswith("langchain-jenkins")}
    lines = (REPO / "requirements" / "dev.txt").read_text().splitlines()
    pinned = {_name(line) for line in lines if "==" in line}
    assert wanted <= pinned, f"{sorted(wanted - pinned)} are not in requirements/dev.txt: run `make lock`"
