"""Tool output inside the dev-set logs: routine output (noise) and failure reports, in each tool's documented
format. Lines starting with ``»`` are the labelled failure lines (see README.md for the labelling rule).

Formats: Maven (maven.apache.org, surefire/compiler/checkstyle plugin output), Gradle (docs.gradle.org
"Troubleshooting builds"), npm >= 7 (docs.npmjs.com, `npm error` prefix), Jest, ESLint (stylish formatter),
tsc, pytest (docs.pytest.org "How to handle test failures"), pip, ruff/flake8, go test/go build/go vet
(pkg.go.dev cmd/go), cargo/rustc (doc.rust-lang.org), dotnet/MSBuild (learn.microsoft.com), Docker BuildKit
(docs.docker.com), Terraform, Helm, kubectl, Ansible, PowerShell, CMake/Ninja.
"""

from __future__ import annotations

import random

RED, BOLD, RESET, YELLOW, GREEN = "\x1b[1;31m", "\x1b[1m", "\x1b[0m", "\x1b[33m", "\x1b[32m"


def g(lines: list[str]) -> list[str]:
    """Mark lines as labelled failure lines."""
    return ["»" + line for line in lines]


# ---------------------------------------------------------------------------------------------- Maven


def maven_noise(rng: random.Random, modules: int = 2, ansi: bool = False) -> list[str]:
    info = f"[{BOLD}INFO{RESET}]" if ansi else "[INFO]"
    out = [
        f"{info} Scanning for projects...",
        f"{info} ------------------------------------------------------------------------",
        f"{info} Reactor Build Order:",
    ]
    for m in range(modules):
        out.append(f"{info} demo-module-{m}                                            [jar]")
    for _ in range(rng.randint(6, 18)):
        artifact = rng.choice(
            ["commons-lang3/3.12.0", "jackson-core/2.15.2", "slf4j-api/2.0.7", "junit-jupiter/5.10.0"]
        )
        out.append(f"Downloading from central: https://repo.maven.apache.org/maven2/org/x/{artifact}.pom")
        out.append(
            f"Downloaded from central: https://repo.maven.apache.org/maven2/org/x/{artifact}.pom (2.1 kB at 54 kB/s)"
        )
    out += [
        f"{info} --- maven-resources-plugin:3.3.1:resources (default-resources) @ demo-module-0 ---",
        f"{info} Copying 3 resources from src/main/resources to target/classes",
        f"{info} --- maven-compiler-plugin:3.11.0:compile (default-compile) @ demo-module-0 ---",
        f"{info} Changes detected - recompiling the module! :source",
        f"{info} Compiling 42 source files with javac [debug release 17] to target/classes",
        "[WARNING] /src/main/java/com/acme/Legacy.java:[14,8] [deprecation] Date(int,int,int) in Date has been deprecated",
    ]
    return out


def maven_tail(goal: str, plugin: str, detail: list[str], ansi: bool = False) -> list[str]:
    err = f"[{RED}ERROR{RESET}]" if ansi else "[ERROR]"
    info = "[INFO]"
    return [
        f"{info} ------------------------------------------------------------------------",
        f"{info} BUILD FAILURE",
        f"{info} ------------------------------------------------------------------------",
        f"{info} Total time:  01:42 min",
        f"{info} Finished at: 2024-05-02T10:17:12Z",
        f"{info} ------------------------------------------------------------------------",
        f"{err} Failed to execute goal {plugin} ({goal}) on project demo-module-0: {detail[0]}",
        *[f"{err} {d}" for d in detail[1:]],
        f"{err} -> [Help 1]",
        f"{err} ",
        f"{err} To see the full stack trace of the errors, re-run Maven with the -e switch.",
        f"{err} Re-run Maven using the -X switch to enable full debug logging.",
        f"{err} ",
        f"{err} For more information about the errors and possible solutions, please read the following articles:",
        f"{err} [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/MojoFailureException",
    ]


def surefire_run(rng: random.Random, failing: bool, cls: str, noisy_logs: bool = False) -> list[str]:
    out = [f"[INFO] Running {cls}"]
    if noisy_logs:
        out += [
            f"10:16:0{rng.randrange(10)}.123 [main] ERROR {cls} - connection to cache failed, using fallback (expected in tests)",
            f"10:16:0{rng.randrange(10)}.456 [main] WARN  {cls} - retrying request 1/3",
        ]
    if not failing:
        out.append(
            f"[INFO] Tests run: {rng.randint(3, 20)}, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.{rng.randrange(999)} s - in {cls}"
        )
    return out


# ---------------------------------------------------------------------------------------------- npm / node


def npm_install_noise(rng: random.Random) -> list[str]:
    out = [
        "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
        "npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported",
    ]
    out += [
        f"added {rng.randint(200, 1400)} packages, and audited {rng.randint(1400, 1500)} packages in {rng.randint(8, 40)}s",
        "",
        f"{rng.randint(100, 250)} packages are looking for funding",
        "  run `npm fund` for details",
        "",
        "found 0 vulnerabilities",
    ]
    return out


def jest_pass(rng: random.Random, name: str) -> list[str]:
    return [f"PASS src/{name}.test.ts ({rng.randint(1, 9)}.{rng.randrange(999)} s)"]


# ---------------------------------------------------------------------------------------------- python


def pip_noise(rng: random.Random) -> list[str]:
    out = []
    for pkg in rng.sample(
        ["requests", "urllib3", "idna", "certifi", "pydantic", "attrs", "pluggy", "iniconfig"], 5
    ):
        out.append(f"Collecting {pkg}")
        out.append(
            f"  Downloading {pkg}-1.{rng.randint(0, 9)}.{rng.randint(0, 9)}-py3-none-any.whl ({rng.randint(10, 900)} kB)"
        )
    out.append("Successfully installed attrs-23.1.0 certifi-2023.7.22 idna-3.4 requests-2.31.0 urllib3-2.0.4")
    return out


def pytest_progress(rng: random.Random, files: list[str], fail_in: str | None = None) -> list[str]:
    out = [
        "============================= test session starts ==============================",
        "platform linux -- Python 3.11.6, pytest-7.4.3, pluggy-1.3.0",
        "rootdir: /var/lib/jenkins/workspace/app_main",
        f"collected {rng.randint(80, 300)} items",
        "",
    ]
    for f in files:
        marks = "".join(rng.choice("....s") for _ in range(rng.randint(8, 30)))
        if f == fail_in:
            marks = marks[:5] + "F" + marks[5:]
        out.append(f"tests/{f} {marks}{' ' * 8}[{rng.randint(5, 99):>3}%]")
    return out


# ---------------------------------------------------------------------------------------------- go / rust / dotnet


def go_noise(rng: random.Random) -> list[str]:
    return [
        f"go: downloading github.com/{m} v1.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
        for m in rng.sample(
            ["stretchr/testify", "spf13/cobra", "google/uuid", "pkg/errors", "sirupsen/logrus"], 4
        )
    ]


def cargo_noise(rng: random.Random) -> list[str]:
    out = ["    Updating crates.io index"]
    for c in rng.sample(["serde", "tokio", "anyhow", "regex", "clap", "itoa", "memchr", "libc"], 6):
        out.append(f"   Compiling {c} v1.{rng.randint(0, 40)}.{rng.randint(0, 9)}")
    return out


def dotnet_noise(rng: random.Random) -> list[str]:
    return [
        "MSBuild version 17.8.3+195e7f5a3 for .NET",
        "  Determining projects to restore...",
        f"  Restored /src/Acme.Api/Acme.Api.csproj (in {rng.randint(200, 900)} ms).",
        f"  Restored /src/Acme.Tests/Acme.Tests.csproj (in {rng.randint(200, 900)} ms).",
        "/src/Acme.Api/Legacy.cs(12,9): warning CS0618: 'WebClient.WebClient()' is obsolete [/src/Acme.Api/Acme.Api.csproj]",
    ]
