"""The Jenkins side of the dev-set logs: pipeline markers, checkout, stages, steps, endings, prefixes.

Formats follow Jenkins' own output (workflow-cps/-durable-task/-basic-steps, pipeline-model-definition, git
and timestamper plugins), as documented on jenkins.io and seen in public issue threads quoting console logs
(sources per log in ``labels.yaml``). A line starting with ``»`` is a labelled failure line; :func:`render`
removes the mark and records its final line number.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

GOLD = "»"


def stage(name: str, body: Iterable[str], branch: str | None = None) -> list[str]:
    tag = f"[{branch}] " if branch else ""
    return [
        f"[Pipeline] {tag}stage",
        f"[Pipeline] {tag}{{ ({name})",
        *body,
        f"[Pipeline] {tag}}}",
        f"[Pipeline] {tag}// stage",
    ]


def sh(command: str, output: Iterable[str], step: str = "sh") -> list[str]:
    return [f"[Pipeline] {step}", f"+ {command}", *output]


def skipped(*names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        out += [
            "[Pipeline] stage",
            f"[Pipeline] {{ ({name})",
            f'Stage "{name}" skipped due to earlier failure(s)',
            "[Pipeline] }",
            "[Pipeline] // stage",
        ]
    return out


def checkout(rng: random.Random, repo: str, anonymous: bool = True) -> list[str]:
    sha = f"{rng.getrandbits(160):040x}"
    url = f"https://github.com/{repo}.git"
    lines = [
        "[Pipeline] checkout",
        "The recommended git tool is: NONE",
        "No credentials specified" if anonymous else "using credential github-app",
        "Cloning the remote Git repository",
        f"Cloning repository {url}",
        " > git init /var/lib/jenkins/workspace/app_main # timeout=10",
        f"Fetching upstream changes from {url}",
        " > git --version # timeout=10",
        " > git --version # 'git version 2.39.2'",
        f" > git fetch --tags --force --progress -- {url} +refs/heads/*:refs/remotes/origin/* # timeout=10",
        f" > git config remote.origin.url {url} # timeout=10",
        " > git config --add remote.origin.fetch +refs/heads/*:refs/remotes/origin/* # timeout=10",
        "Avoid second fetch",
        f"Checking out Revision {sha} (refs/remotes/origin/main)",
        " > git config core.sparsecheckout # timeout=10",
        f" > git checkout -f {sha} # timeout=10",
        f'Commit message: "{rng.choice(["Bump deps", "Fix flaky test", "Refactor config", "Add endpoint"])}"',
        f" > git rev-list --no-walk {f'{rng.getrandbits(160):040x}'} # timeout=10",
    ]
    return lines


def head(rng: random.Random, repo: str, agent: str = "agent-linux-2", declarative: bool = True) -> list[str]:
    lines = [
        rng.choice(["Started by user admin", "Started by an SCM change", "Branch indexing"]),
        f"Obtained Jenkinsfile from git https://github.com/{repo}.git",
        "[Pipeline] Start of Pipeline",
        "[Pipeline] node",
        f"Running on {agent} in /var/lib/jenkins/workspace/app_main",
        "[Pipeline] {",
    ]
    if declarative:
        lines += stage("Declarative: Checkout SCM", checkout(rng, repo))
        lines += ["[Pipeline] withEnv", "[Pipeline] {"]
    else:
        lines += stage("Checkout", checkout(rng, repo))
    return lines


def post_actions(rng: random.Random, junit: bool = True) -> list[str]:
    body = []
    if junit:
        body += [
            "[Pipeline] junit",
            "Recording test results",
            rng.choice(
                [
                    "[Checks API] No suitable checks publisher found.",
                    "None of the test reports contained any result",
                ]
            ),
        ]
    body += [
        "[Pipeline] archiveArtifacts",
        "Archiving artifacts",
        "[Pipeline] cleanWs",
        "[WS-CLEANUP] Deleting project workspace...",
        "[WS-CLEANUP] Deferred wipeout is used...",
        "[WS-CLEANUP] done",
        "[Pipeline] echo",
        "Build failed, notifying #ci",
    ]
    return stage("Declarative: Post Actions", body)


def tail(
    result: str = "FAILURE",
    error: str | None = "ERROR: script returned exit code 1",
    declarative: bool = True,
) -> list[str]:
    lines = []
    if declarative:
        lines += ["[Pipeline] }", "[Pipeline] // withEnv"]
    lines += ["[Pipeline] }", "[Pipeline] // node", "[Pipeline] End of Pipeline"]
    if error:
        lines.append(error)
    lines.append(f"Finished: {result}")
    return lines


@dataclass
class Style:
    """How the console decorates lines: a timestamp per line (ANSI colours are in the tools' output)."""

    timestamps: str = ""  # "", "iso" ([2024-05-02T10:15:30.123Z] ) or "clock" (10:15:30  )
    clock: list[int] = field(default_factory=lambda: [10 * 3600 + 15 * 60])

    def prefix(self, rng: random.Random) -> str:
        if not self.timestamps:
            return ""
        self.clock[0] += rng.choice([0, 0, 0, 1, 2])
        t = self.clock[0]
        hh, mm, ss = t // 3600 % 24, t // 60 % 60, t % 60
        if self.timestamps == "iso":
            return f"[2024-05-02T{hh:02d}:{mm:02d}:{ss:02d}.{rng.randrange(1000):03d}Z] "
        return f"{hh:02d}:{mm:02d}:{ss:02d}  "


def tagged(branch: str, lines: Iterable[str]) -> list[str]:
    """Step output of a parallel branch as older Pipeline versions print it: ``[branch] `` before each line."""
    out = []
    for line in lines:
        if line.startswith("[Pipeline]"):
            out.append(line.replace("[Pipeline] ", f"[Pipeline] [{branch}] ", 1))
        elif line.startswith(GOLD):
            out.append(f"{GOLD}[{branch}] {line[len(GOLD) :]}")
        else:
            out.append(f"[{branch}] {line}")
    return out


def render(lines: Iterable[str], style: Style, rng: random.Random) -> tuple[str, list[int]]:
    """The log text and the 1-based numbers of its labelled lines. ``[Pipeline]`` lines carry no timestamp
    (the timestamper plugin decorates step output, as in public consoleText files)."""
    out: list[str] = []
    gold: list[int] = []
    for line in lines:
        is_gold = line.startswith(GOLD)
        text = line[len(GOLD) :] if is_gold else line
        if not text.startswith("[Pipeline]"):
            text = style.prefix(rng) + text
        out.append(text)
        if is_gold:
            gold.append(len(out))
    return "\n".join(out) + "\n", gold


def spans(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> "3-5,9"."""
    parts: list[str] = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ",".join(parts)
