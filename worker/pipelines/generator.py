"""Declarative Jenkinsfile generation.

The file is assembled from small stage builders rather than one big template per combination, so every project
type x requirement pair yields a file of the same shape: Build, the checks (Tests, Coverage, Lint, Security
scan; in a ``parallel`` block when asked and there are at least two), Docker build and push, Deploy behind an
``input`` approval, and ``post`` notifications. All ``sh`` scripts are single-quoted, so the shell (not
Groovy) expands variables and secrets never pass through Groovy string interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.pipelines.spec import ProjectSpec, ProjectType


@dataclass(frozen=True)
class Toolchain:
    """Shell commands of one project type. ``None`` = the type has no such step."""

    build: str
    test: str | None
    test_reports: str | None
    coverage: str | None
    coverage_reports: str
    lint: str
    security: str
    artifacts: str | None = None
    setup: str | None = None  # runs before each command (e.g. activate a virtualenv)


_VENV = ". .venv/bin/activate"
TOOLCHAINS: dict[ProjectType, Toolchain] = {
    "maven": Toolchain(
        build="mvn -B -ntp -DskipTests package",
        test="mvn -B -ntp test",
        test_reports="target/surefire-reports/*.xml",
        coverage="mvn -B -ntp verify jacoco:report",
        coverage_reports="target/site/jacoco/**",
        lint="mvn -B -ntp checkstyle:check",
        security="mvn -B -ntp org.owasp:dependency-check-maven:check",
        artifacts="target/*.jar",
    ),
    "gradle": Toolchain(
        build="./gradlew --no-daemon assemble",
        test="./gradlew --no-daemon test",
        test_reports="build/test-results/test/*.xml",
        coverage="./gradlew --no-daemon jacocoTestReport",
        coverage_reports="build/reports/jacoco/**",
        lint="./gradlew --no-daemon check -x test",
        security="./gradlew --no-daemon dependencyCheckAnalyze",
        artifacts="build/libs/*.jar",
    ),
    "python": Toolchain(
        build="python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt",
        test=f"{_VENV} && pytest --junitxml=reports/junit.xml",
        test_reports="reports/junit.xml",
        coverage=f"{_VENV} && pytest --cov --cov-report=xml:reports/coverage.xml",
        coverage_reports="reports/coverage.xml",
        lint=f"{_VENV} && ruff check .",
        security=f"{_VENV} && pip-audit -r requirements.txt && bandit -q -r .",
    ),
    "node": Toolchain(
        build="npm ci && npm run build --if-present",
        test="npm test",
        test_reports=None,
        coverage="npm test -- --coverage",
        coverage_reports="coverage/**",
        lint="npm run lint",
        security="npm audit --audit-level=high",
    ),
    "go": Toolchain(
        build="go build ./...",
        test="go test -v ./...",
        test_reports=None,
        coverage="go test -coverprofile=coverage.out ./... && go tool cover -func=coverage.out",
        coverage_reports="coverage.out",
        lint="golangci-lint run",
        security="govulncheck ./...",
    ),
    "docker": Toolchain(
        build='docker build -t "$IMAGE:$TAG" .',
        test='container-structure-test test --image "$IMAGE:$TAG" --config structure-test.yaml',
        test_reports=None,
        coverage=None,
        coverage_reports="",
        lint="hadolint Dockerfile",
        security='trivy image --exit-code 1 --severity HIGH,CRITICAL "$IMAGE:$TAG"',
    ),
}


def _q(text: str) -> str:
    """A single-quoted Groovy string literal (no interpolation)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass
class _Writer:
    lines: list[str] = field(default_factory=list)
    depth: int = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.depth + text) if text else "")

    def open(self, header: str) -> None:
        self.line(header + " {")
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.line("}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@dataclass
class GeneratedPipeline:
    """A Jenkinsfile and the notes a reader needs (which requirements were mapped how)."""

    jenkinsfile: str
    spec: ProjectSpec
    notes: list[str]


def _check_stages(spec: ProjectSpec, tools: Toolchain) -> list[tuple[str, str, str | None, str | None]]:
    """(stage name, command, junit reports, archived reports) of each requested check."""
    req = spec.requirements
    checks: list[tuple[str, str, str | None, str | None]] = []
    if "tests" in req and tools.test:
        checks.append(("Tests", tools.test, tools.test_reports, None))
    if "coverage" in req and tools.coverage:
        checks.append(("Coverage", tools.coverage, None, tools.coverage_reports))
    if "lint" in req:
        checks.append(("Lint", tools.lint, None, None))
    if "security_scan" in req:
        checks.append(("Security scan", tools.security, None, None))
    return checks


def _write_check(w: _Writer, name: str, command: str, junit: str | None, archive: str | None) -> None:
    w.open(f"stage({_q(name)})")
    w.open("steps")
    w.line(f"sh {_q(command)}")
    if archive:
        w.line(f"archiveArtifacts artifacts: {_q(archive)}, allowEmptyArchive: true")
    w.close()
    if junit:
        w.open("post")
        w.open("always")
        w.line(f"junit allowEmptyResults: true, testResults: {_q(junit)}")
        w.close()
        w.close()
    w.close()


def generate_jenkinsfile(spec: ProjectSpec) -> GeneratedPipeline:
    """A declarative Jenkinsfile for ``spec``."""
    tools = TOOLCHAINS[spec.project_type]
    req = spec.requirements
    notes: list[str] = []
    image_needed = spec.project_type == "docker" or "docker" in req
    w = _Writer()
    w.open("pipeline")
    w.line("agent any")
    w.open("options")
    w.line("buildDiscarder(logRotator(numToKeepStr: '20'))")
    w.line("disableConcurrentBuilds()")
    w.line("timeout(time: 1, unit: 'HOURS')")
    w.close()
    if image_needed or "deploy" in req:
        w.open("environment")
        if image_needed:
            w.line(f"REGISTRY = {_q(spec.registry)}")
            w.line(f"IMAGE = {_q(spec.registry + '/' + spec.name)}")
            # BUILD_NUMBER is not a secret; a GString is the declarative way to derive a value from it.
            w.line('TAG = "${env.BUILD_NUMBER}"')
        if "deploy" in req:
            w.line(f"DEPLOY_ENV = {_q(spec.deploy_environment)}")
        w.close()
    w.open("stages")

    w.open("stage('Build')")
    w.open("steps")
    w.line(f"sh {_q(tools.build)}")
    if tools.artifacts:
        w.line(
            f"archiveArtifacts artifacts: {_q(tools.artifacts)}, fingerprint: true, allowEmptyArchive: true"
        )
    w.close()
    w.close()

    checks = _check_stages(spec, tools)
    if "coverage" in req and tools.coverage is None:
        notes.append(f"coverage: not applicable to a {spec.project_type} project; no stage generated")
    if "parallel" in req and len(checks) >= 2:
        w.open("stage('Checks')")
        w.line("failFast true")
        w.open("parallel")
        for check in checks:
            _write_check(w, *check)
        w.close()
        w.close()
    else:
        if "parallel" in req:
            notes.append("parallel: fewer than two checks requested, so they run one after another")
        for check in checks:
            _write_check(w, *check)

    if "docker" in req:
        if spec.project_type != "docker":
            w.open("stage('Docker build')")
            w.open("steps")
            w.line("sh 'docker build -t \"$IMAGE:$TAG\" .'")
            w.close()
            w.close()
        w.open("stage('Docker push')")
        w.open("steps")
        w.open(
            "withCredentials([usernamePassword(credentialsId: "
            f"{_q(spec.registry_credentials_id)}, usernameVariable: 'REGISTRY_USER', "
            "passwordVariable: 'REGISTRY_PASSWORD')])"
        )
        # Single quotes: the shell expands the secret; Groovy never sees its value.
        w.line(
            'sh \'echo "$REGISTRY_PASSWORD" | docker login -u "$REGISTRY_USER" --password-stdin "$REGISTRY"\''
        )
        w.line("sh 'docker push \"$IMAGE:$TAG\"'")
        w.close()
        w.close()
        w.close()
        notes.append(
            "docker: pushes $IMAGE:$TAG with the username/password credentials "
            f"'{spec.registry_credentials_id}'"
        )

    if "deploy" in req:
        w.open(f"stage({_q('Deploy to ' + spec.deploy_environment)})")
        w.open("input")
        w.line(f"message {_q('Deploy ' + spec.name + ' to ' + spec.deploy_environment + '?')}")
        w.line("ok 'Deploy'")
        w.close()
        w.open("steps")
        w.line("sh './deploy.sh \"$DEPLOY_ENV\"'")
        w.close()
        w.close()
        notes.append("deploy: waits for a person to approve, then runs ./deploy.sh $DEPLOY_ENV")

    w.close()  # stages

    if "notifications" in req:
        w.open("post")
        for condition, word in (("failure", "failed"), ("fixed", "is fixed")):
            w.open(condition)
            w.line(
                f"mail to: {_q(spec.notify_email)}, "
                f'subject: "${{env.JOB_NAME}} #${{env.BUILD_NUMBER}} {word}", body: "${{env.BUILD_URL}}"'
            )
            w.close()
        w.close()
        notes.append(f"notifications: e-mail to {spec.notify_email} when the build fails or is fixed")
    w.close()  # pipeline
    return GeneratedPipeline(jenkinsfile=w.text(), spec=spec, notes=notes)
