"""Jenkins console logs for the tests, generated: the usual noise of a timestamped Pipeline run (checkout,
dependency downloads, compiler and test output, image pulls) with a given failure at a known place.

Deterministic for a seed, any size: the tests that need a "big real-looking log" build one here instead of
reading a corpus. The failures are short excerpts in the form the tools print them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

#: fpm and docker running out of disk while packaging (the kind of failure an agent, not the code, causes).
DISK_FULL = (
    ">> package: Building payments-api type=deb for platform=linux/arm64",
    "/var/lib/gems/3.1.0/gems/stud-0.0.23/lib/stud/temporary.rb:47:in `mkdir': No space left on device"
    " @ dir_s_mkdir - /tmp/package-deb-staging-4be1c09e5a7d43f2b8c6d1e0f9a8b7c6d5",
    "\tfrom /var/lib/gems/3.1.0/gems/stud-0.0.23/lib/stud/temporary.rb:47:in `directory'",
    "\tfrom /var/lib/gems/3.1.0/gems/fpm-1.15.1/lib/fpm/package.rb:257:in `staging_path'",
    "\tfrom /var/lib/gems/3.1.0/gems/fpm-1.15.1/lib/fpm/command.rb:519:in `execute'",
    "mage: exit status 1",
    "make: *** [Makefile:41: package] Error 1",
)

#: Maven's surefire reporting one failed JUnit assertion.
MAVEN_TEST_FAILURE = (
    "[INFO] Running com.example.payments.LedgerTest",
    "[ERROR] Tests run: 14, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.318 s <<< FAILURE!"
    " - in com.example.payments.LedgerTest",
    "[ERROR] com.example.payments.LedgerTest.totalsRoundHalfEven  Time elapsed: 0.012 s  <<< FAILURE!",
    "org.opentest4j.AssertionFailedError: expected: <10.02> but was: <10.03>",
    "\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)",
    "\tat com.example.payments.LedgerTest.totalsRoundHalfEven(LedgerTest.java:77)",
    "[INFO]",
    "[INFO] Results:",
    "[ERROR] Failures:",
    "[ERROR]   LedgerTest.totalsRoundHalfEven:77 expected: <10.02> but was: <10.03>",
    "[ERROR] Tests run: 212, Failures: 1, Errors: 0, Skipped: 3",
    "[INFO] BUILD FAILURE",
    "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.2.5:test"
    " (default-test) on project payments-api: There are test failures.",
)

_GROUPS = (
    "org/apache/commons",
    "com/fasterxml/jackson/core",
    "io/netty",
    "org/springframework",
    "com/google/guava",
)
_ARTIFACTS = ("commons-lang3", "jackson-databind", "netty-handler", "spring-core", "guava", "slf4j-api")
_CLASSES = ("Ledger", "Invoice", "Refund", "Currency", "Account", "Statement", "Payout", "Fee")


def _noise(rng: random.Random) -> list[str]:
    """One chunk of ordinary build output (never an error)."""
    kind = rng.randrange(4)
    if kind == 0:
        group, artifact = rng.choice(_GROUPS), rng.choice(_ARTIFACTS)
        version = f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        url = f"https://repo.maven.apache.org/maven2/{group}/{artifact}/{version}/{artifact}-{version}"
        return [
            f"Downloading from central: {url}.pom",
            f"Downloaded from central: {url}.pom ({rng.randint(1, 40)} kB at {rng.randint(100, 900)} kB/s)",
            f"Downloading from central: {url}.jar",
            f"Downloaded from central: {url}.jar ({rng.randint(20, 900)} kB at {rng.randint(1, 9)}.{rng.randint(0, 9)} MB/s)",
        ]
    if kind == 1:
        name = rng.choice(_CLASSES)
        return [
            f"[INFO] Running com.example.payments.{name}Test",
            f"[INFO] Tests run: {rng.randint(1, 30)}, Failures: 0, Errors: 0, Skipped: 0,"
            f" Time elapsed: 0.{rng.randint(10, 999)} s - in com.example.payments.{name}Test",
        ]
    if kind == 2:
        layer = f"{rng.getrandbits(48):012x}"
        return [f"{layer}: Pulling fs layer", f"{layer}: Verifying Checksum", f"{layer}: Pull complete"]
    module = rng.choice(_CLASSES).lower()
    return [
        f"[INFO] --- maven-compiler-plugin:3.12.1:compile (default-compile) @ payments-{module} ---",
        f"[INFO] Compiling {rng.randint(3, 200)} source files with javac [debug release 17] to target/classes",
    ]


_HEAD = (
    "Started by user Dana Builder",
    "Obtained Jenkinsfile from git https://git.example.com/team/payments-api.git",
    "[Pipeline] Start of Pipeline",
    "[Pipeline] node",
    "Running on linux-amd64-1 in /var/lib/jenkins/workspace/team_payments-api",
    "[Pipeline] {",
    "[Pipeline] stage",
    "[Pipeline] { (Build)",
    "[Pipeline] sh",
    "+ ./mvnw -B verify",
)

_TAIL = (
    "[Pipeline] }",
    "[Pipeline] // stage",
    "[Pipeline] stage",
    "[Pipeline] { (Declarative: Post Actions)",
    "[Pipeline] echo",
    "[FAILURE]",
    "[Pipeline] }",
    "[Pipeline] // stage",
    "[Pipeline] }",
    "[Pipeline] // node",
    "[Pipeline] End of Pipeline",
    "ERROR: script returned exit code 1",
    "Finished: FAILURE",
)


def pipeline_log(
    failure: Sequence[str],
    *,
    noise_lines: int,
    seed: int = 7,
    start: datetime = datetime(2024, 3, 5, 10, 0, tzinfo=UTC),
    finished: bool = True,
) -> str:
    """A timestamped Pipeline console log: about ``noise_lines`` of noise, then ``failure``, then the post
    actions and ``Finished: FAILURE`` (unless ``finished`` is false). Ends with a newline."""
    rng = random.Random(seed)
    body: list[str] = list(_HEAD)
    while len(body) < noise_lines:
        body.extend(_noise(rng))
    body.extend(failure)
    if finished:
        body.extend(_TAIL)
    clock = start
    out = []
    for line in body:
        clock += timedelta(milliseconds=rng.randint(0, 400))
        out.append(f"[{clock.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z] {line}")
    return "\n".join(out) + "\n"


def line_of(log: str | bytes, needle: str) -> int:
    """The 1-based number of the first line containing ``needle``."""
    text = log.decode() if isinstance(log, bytes) else log
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in the log")
