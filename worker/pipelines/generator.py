"""Declarative Jenkinsfile generation.

The file is assembled from small stage builders rather than one big template per combination, so every project
type x requirement pair yields a file of the same shape: Build, the checks (Tests, Coverage, Lint, Security
scan; in a ``parallel`` block when asked and there are at least two), Docker build and push, Deploy behind an
``input`` approval, and ``post`` notifications. A monorepo gets one stage per component instead, run when a
file under its directory changed (``when { changeset }``, or the ``BUILD_ALL`` parameter), with that
component's Build and checks as nested stages whose steps run in ``dir()``. All ``sh`` scripts are
single-quoted, so the shell (not Groovy) expands variables and secrets never pass through Groovy string
interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.pipelines.spec import Component, ProjectSpec, ProjectType


@dataclass(frozen=True)
class Toolchain:
    """Shell commands of one project type. ``None`` = the type has no such step.

    Commands are the ones each tool documents for CI (non-interactive flags, lock files honoured); ``docs``
    are those pages, cited in the generated file's header so a reader can check and adjust them.
    """

    build: str
    test: str | None
    test_reports: str | None
    coverage: str | None
    coverage_reports: str
    lint: str
    security: str
    docs: tuple[str, ...]
    artifacts: str | None = None


_VENV = ". .venv/bin/activate"
_GRADLE = "./gradlew --no-daemon"
TOOLCHAINS: dict[ProjectType, Toolchain] = {
    "maven": Toolchain(
        build="mvn -B -ntp -DskipTests package",
        test="mvn -B -ntp test",
        test_reports="target/surefire-reports/*.xml",
        coverage="mvn -B -ntp verify jacoco:report",
        coverage_reports="target/site/jacoco/**",
        lint="mvn -B -ntp checkstyle:check",
        security="mvn -B -ntp org.owasp:dependency-check-maven:check",
        docs=(
            "https://maven.apache.org/ref/current/maven-embedder/cli.html",
            "https://www.jacoco.org/jacoco/trunk/doc/maven.html",
            "https://jeremylong.github.io/DependencyCheck/dependency-check-maven/",
        ),
        artifacts="target/*.jar",
    ),
    "gradle": Toolchain(
        build=f"{_GRADLE} assemble",
        test=f"{_GRADLE} test",
        test_reports="build/test-results/test/*.xml",
        coverage=f"{_GRADLE} jacocoTestReport",
        coverage_reports="build/reports/jacoco/**",
        lint=f"{_GRADLE} check -x test",
        security=f"{_GRADLE} dependencyCheckAnalyze",
        docs=(
            "https://docs.gradle.org/current/userguide/command_line_interface.html",
            "https://docs.gradle.org/current/userguide/jacoco_plugin.html",
        ),
        artifacts="build/libs/*.jar",
    ),
    # Kotlin builds with Gradle; coverage with Kover and style with ktlint, Kotlin's own tools.
    "kotlin": Toolchain(
        build=f"{_GRADLE} assemble",
        test=f"{_GRADLE} test",
        test_reports="build/test-results/test/*.xml",
        coverage=f"{_GRADLE} koverXmlReport",
        coverage_reports="build/reports/kover/**",
        lint=f"{_GRADLE} ktlintCheck",
        security=f"{_GRADLE} dependencyCheckAnalyze",
        docs=(
            "https://kotlinlang.org/docs/gradle.html",
            "https://kotlin.github.io/kotlinx-kover/gradle-plugin/",
            "https://github.com/JLLeitschuh/ktlint-gradle",
        ),
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
        docs=("https://docs.pytest.org/en/stable/how-to/output.html", "https://docs.astral.sh/ruff/linter/"),
    ),
    "node": Toolchain(
        build="npm ci && npm run build --if-present",
        test="npm test",
        test_reports=None,
        coverage="npm test -- --coverage",
        coverage_reports="coverage/**",
        lint="npm run lint",
        security="npm audit --audit-level=high",
        docs=("https://docs.npmjs.com/cli/commands/npm-ci", "https://docs.npmjs.com/cli/commands/npm-audit"),
    ),
    "go": Toolchain(
        build="go build ./...",
        test="go test -v ./...",
        test_reports=None,
        coverage="go test -coverprofile=coverage.out ./... && go tool cover -func=coverage.out",
        coverage_reports="coverage.out",
        lint="golangci-lint run",
        security="govulncheck ./...",
        docs=("https://pkg.go.dev/cmd/go", "https://go.dev/doc/tutorial/govulncheck"),
    ),
    # --locked: fail rather than update Cargo.lock in CI (cargo build/test docs, "Manifest Options").
    "rust": Toolchain(
        build="cargo build --release --locked",
        test="cargo test --locked",
        test_reports=None,
        coverage="cargo llvm-cov --locked --lcov --output-path lcov.info",
        coverage_reports="lcov.info",
        lint="cargo fmt --all -- --check && cargo clippy --all-targets --locked -- -D warnings",
        security="cargo audit",
        docs=(
            "https://doc.rust-lang.org/cargo/commands/cargo-build.html",
            "https://doc.rust-lang.org/clippy/usage.html",
            "https://github.com/taiki-e/cargo-llvm-cov",
            "https://github.com/rustsec/rustsec/tree/main/cargo-audit",
        ),
    ),
    # Tests write TRX (the built-in logger); coverage uses coverlet's collector, Microsoft's documented way.
    # `dotnet list package --vulnerable` exits 0 even when it finds some: its report line fails the step.
    "dotnet": Toolchain(
        build="dotnet restore && dotnet build --no-restore --configuration Release",
        test="dotnet test --no-build --configuration Release --logger trx --results-directory TestResults",
        test_reports=None,
        coverage='dotnet test --configuration Release --collect:"XPlat Code Coverage" '
        "--results-directory TestResults",
        coverage_reports="TestResults/**/coverage.cobertura.xml",
        lint="dotnet format --verify-no-changes",
        security="dotnet list package --vulnerable --include-transitive | tee vulnerable.txt; "
        'if grep -q "has the following vulnerable packages" vulnerable.txt; then exit 1; fi',
        docs=(
            "https://learn.microsoft.com/dotnet/core/tools/dotnet-test",
            "https://learn.microsoft.com/dotnet/core/testing/unit-testing-code-coverage",
            "https://learn.microsoft.com/dotnet/core/tools/dotnet-format",
            "https://learn.microsoft.com/dotnet/core/tools/dotnet-list-package",
        ),
    ),
    "php": Toolchain(
        build="composer install --no-interaction --prefer-dist --no-progress",
        test="vendor/bin/phpunit --log-junit reports/junit.xml",
        test_reports="reports/junit.xml",
        coverage="XDEBUG_MODE=coverage vendor/bin/phpunit --coverage-clover reports/clover.xml",
        coverage_reports="reports/clover.xml",
        lint="composer validate --strict && vendor/bin/phpstan analyse --no-progress",
        security="composer audit --no-interaction",
        docs=(
            "https://getcomposer.org/doc/03-cli.md",
            "https://docs.phpunit.de/en/11.5/textui.html",
            "https://phpstan.org/user-guide/command-line-usage",
        ),
    ),
    # Gems go to vendor/bundle inside the workspace (bundle config docs): no root, no shared gem dir.
    "ruby": Toolchain(
        build="bundle config set --local path vendor/bundle && bundle install --jobs 4 --retry 3",
        test="bundle exec rspec",
        test_reports=None,
        coverage="COVERAGE=true bundle exec rspec",
        coverage_reports="coverage/**",
        lint="bundle exec rubocop",
        security="bundle exec bundle-audit check --update",
        docs=(
            "https://bundler.io/man/bundle-install.1.html",
            "https://rspec.info/features/3-13/rspec-core/command-line/",
            "https://docs.rubocop.org/rubocop/usage/basic_usage.html",
            "https://github.com/rubysec/bundler-audit",
        ),
    ),
    "docker": Toolchain(
        build='docker build -t "$IMAGE:$TAG" .',
        test='container-structure-test test --image "$IMAGE:$TAG" --config structure-test.yaml',
        test_reports=None,
        coverage=None,
        coverage_reports="",
        lint="hadolint Dockerfile",
        security='trivy image --exit-code 1 --severity HIGH,CRITICAL "$IMAGE:$TAG"',
        docs=(
            "https://docs.docker.com/reference/cli/docker/buildx/build/",
            "https://github.com/hadolint/hadolint",
            "https://trivy.dev/latest/docs/target/container_image/",
        ),
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


Check = tuple[str, str, str | None, str | None]  # (stage name, command, junit reports, archived reports)


def _check_stages(spec: ProjectSpec, tools: Toolchain) -> list[Check]:
    """(stage name, command, junit reports, archived reports) of each requested check."""
    req = spec.requirements
    checks: list[Check] = []
    if "tests" in req and tools.test:
        checks.append(("Tests", tools.test, tools.test_reports, None))
    if "coverage" in req and tools.coverage:
        checks.append(("Coverage", tools.coverage, None, tools.coverage_reports))
    if "lint" in req:
        checks.append(("Lint", tools.lint, None, None))
    if "security_scan" in req:
        checks.append(("Security scan", tools.security, None, None))
    return checks


def _in_dir(path: str | None, relative: str) -> str:
    """The workspace-relative path of a file a tool wrote in ``path`` (``junit`` in ``post`` runs at the root)."""
    return relative if path in (None, ".") else f"{path}/{relative}"


def _sh(w: _Writer, command: str, path: str | None) -> None:
    """``sh '...'``, inside ``dir('path') { }`` for a monorepo component (the pipeline way to change directory)."""
    if path is None or path == ".":
        w.line(f"sh {_q(command)}")
        return
    w.open(f"dir({_q(path)})")
    w.line(f"sh {_q(command)}")
    w.close()


def _write_check(
    w: _Writer, name: str, command: str, junit: str | None, archive: str | None, path: str | None = None
) -> None:
    w.open(f"stage({_q(name)})")
    w.open("steps")
    _sh(w, command, path)
    if archive:
        w.line(f"archiveArtifacts artifacts: {_q(_in_dir(path, archive))}, allowEmptyArchive: true")
    w.close()
    if junit:
        w.open("post")
        w.open("always")
        w.line(f"junit allowEmptyResults: true, testResults: {_q(_in_dir(path, junit))}")
        w.close()
        w.close()
    w.close()


def _write_build(w: _Writer, name: str, tools: Toolchain, path: str | None) -> None:
    w.open(f"stage({_q(name)})")
    w.open("steps")
    _sh(w, tools.build, path)
    if tools.artifacts:
        w.line(
            f"archiveArtifacts artifacts: {_q(_in_dir(path, tools.artifacts))}, fingerprint: true, "
            "allowEmptyArchive: true"
        )
    w.close()
    w.close()


def _write_docker(
    w: _Writer, spec: ProjectSpec, project_type: ProjectType, prefix: str, path: str | None
) -> None:
    if project_type != "docker":
        w.open(f"stage({_q(prefix + 'Docker build')})")
        w.open("steps")
        _sh(w, 'docker build -t "$IMAGE:$TAG" .', path)
        w.close()
        w.close()
    w.open(f"stage({_q(prefix + 'Docker push')})")
    w.open("steps")
    w.open(
        "withCredentials([usernamePassword(credentialsId: "
        f"{_q(spec.registry_credentials_id)}, usernameVariable: 'REGISTRY_USER', "
        "passwordVariable: 'REGISTRY_PASSWORD')])"
    )
    # Single quotes: the shell expands the secret; Groovy never sees its value.
    w.line('sh \'echo "$REGISTRY_PASSWORD" | docker login -u "$REGISTRY_USER" --password-stdin "$REGISTRY"\'')
    w.line("sh 'docker push \"$IMAGE:$TAG\"'")
    w.close()
    w.close()
    w.close()


def _header(spec: ProjectSpec) -> list[str]:
    lines = [
        f"// Declarative pipeline for {spec.describe()}, generated by jenkins-ai.",
        "// Commands follow each tool's documentation:",
    ]
    for project_type in spec.stacks:
        lines += [f"//   {project_type}: {url}" for url in TOOLCHAINS[project_type].docs]
    return lines


def _write_single(w: _Writer, spec: ProjectSpec, project_type: ProjectType, notes: list[str]) -> None:
    tools = TOOLCHAINS[project_type]
    req = spec.requirements
    _write_build(w, "Build", tools, None)
    checks = _check_stages(spec, tools)
    if "coverage" in req and tools.coverage is None:
        notes.append(f"coverage: not applicable to a {project_type} project; no stage generated")
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
        _write_docker(w, spec, project_type, "", None)


def _write_component(w: _Writer, spec: ProjectSpec, component: Component) -> None:
    """One stage per component: it runs when its directory changed (or BUILD_ALL), its steps in ``dir()``."""
    tools = TOOLCHAINS[component.project_type]
    name, path = component.name, component.path
    w.open(f"stage({_q(name)})")
    w.open("when")
    w.open("anyOf")
    w.line(f"changeset {_q('**' if path == '.' else path + '/**')}")
    w.line("expression { return params.BUILD_ALL }")
    w.close()
    w.close()
    if "docker" in spec.requirements:
        suffix = "" if path == "." else "-" + path.replace("/", "-")
        w.open("environment")
        w.line(f"IMAGE = {_q(spec.registry + '/' + spec.name + suffix)}")
        w.close()
    w.open("stages")
    _write_build(w, f"{name}: Build", tools, path)
    for check_name, command, junit, archive in _check_stages(spec, tools):
        _write_check(w, f"{name}: {check_name}", command, junit, archive, path)
    if "docker" in spec.requirements:
        _write_docker(w, spec, component.project_type, f"{name}: ", path)
    w.close()
    w.close()


def _write_components(w: _Writer, spec: ProjectSpec, notes: list[str]) -> None:
    req = spec.requirements
    listed = ", ".join(f"{c.name} ({c.project_type} in {c.path}/)" for c in spec.components)
    notes.append(
        f"monorepo: one stage per component, run when a file under its directory changed: {listed}. "
        "A branch's first build has no changeset: run it with BUILD_ALL=true to build everything."
    )
    if "coverage" in req and any(TOOLCHAINS[c.project_type].coverage is None for c in spec.components):
        notes.append("coverage: not applicable to docker components; no stage generated for them")
    if "parallel" in req and len(spec.components) >= 2:
        # Declarative allows one level of parallel: components run side by side, each one's checks in order.
        w.open("stage('Components')")
        w.line("failFast true")
        w.open("parallel")
        for component in spec.components:
            _write_component(w, spec, component)
        w.close()
        w.close()
        notes.append("parallel: the components build side by side; each component's checks run in order")
    else:
        if "parallel" in req:
            notes.append("parallel: a single component, so its checks run one after another")
        for component in spec.components:
            _write_component(w, spec, component)


def generate_jenkinsfile(spec: ProjectSpec) -> GeneratedPipeline:
    """A declarative Jenkinsfile for ``spec``: one stack, or one stage per component of a monorepo."""
    req = spec.requirements
    notes: list[str] = []
    image_needed = "docker" in spec.stacks or "docker" in req
    w = _Writer()
    for line in _header(spec):
        w.line(line)
    w.open("pipeline")
    w.line("agent any")
    w.open("options")
    w.line("buildDiscarder(logRotator(numToKeepStr: '20'))")
    w.line("disableConcurrentBuilds()")
    w.line("timeout(time: 1, unit: 'HOURS')")
    w.close()
    if spec.components:
        w.open("parameters")
        w.line(
            "booleanParam(name: 'BUILD_ALL', defaultValue: false, "
            "description: 'Build every component, changed or not')"
        )
        w.close()
    if image_needed or "deploy" in req:
        w.open("environment")
        if image_needed:
            w.line(f"REGISTRY = {_q(spec.registry)}")
            if not spec.components:  # a monorepo names one image per component, in its stage
                w.line(f"IMAGE = {_q(spec.registry + '/' + spec.name)}")
            # BUILD_NUMBER is not a secret; a GString is the declarative way to derive a value from it.
            w.line('TAG = "${env.BUILD_NUMBER}"')
        if "deploy" in req:
            w.line(f"DEPLOY_ENV = {_q(spec.deploy_environment)}")
        w.close()
    w.open("stages")
    if spec.components:
        _write_components(w, spec, notes)
    else:
        assert spec.project_type is not None  # the spec's validator: a project type or components
        _write_single(w, spec, spec.project_type, notes)
    if "docker" in req:
        images = "one $IMAGE:$TAG per component" if spec.components else "$IMAGE:$TAG"
        notes.append(
            f"docker: pushes {images} with the username/password credentials '{spec.registry_credentials_id}'"
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
