"""A local linter for declarative Jenkinsfiles: structure, known steps, quoting of credentials.

It tokenises the Groovy source (strings, comments, brackets, newlines), builds a tree of
``name(args) { ... }`` statements and checks it against the declarative grammar's shape. It is not a Groovy
parser: what it cannot judge (arbitrary code in ``script { }``) it leaves to the Groovy compiler and to
Jenkins' ``pipeline-model-converter/validate`` endpoint (``JenkinsClient.validate_jenkinsfile``).

Rules (``LintIssue.rule``): ``syntax`` (unbalanced brackets, unterminated strings), ``structure`` (the
``pipeline``/``agent``/``stages``/``stage``/``steps`` shape), ``unknown-directive``, ``unknown-step``,
``duplicate-stage``, ``credentials-interpolation`` (a secret bound by ``withCredentials`` or ``credentials()``
referenced inside a double-quoted, i.e. Groovy-interpolated, string: it leaks into the build's command line
and is flagged by Jenkins itself; use a single-quoted ``sh '...'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

PIPELINE_DIRECTIVES = frozenset(
    {
        "agent",
        "environment",
        "options",
        "parameters",
        "triggers",
        "tools",
        "stages",
        "post",
        "libraries",
        "when",
    }
)
STAGE_DIRECTIVES = frozenset(
    {
        "agent",
        "environment",
        "options",
        "when",
        "input",
        "tools",
        "steps",
        "parallel",
        "stages",
        "matrix",
        "post",
        "failFast",
    }
)
POST_CONDITIONS = frozenset(
    {
        "always",
        "changed",
        "fixed",
        "regression",
        "aborted",
        "failure",
        "success",
        "unstable",
        "unsuccessful",
        "cleanup",
        "notBuilt",
    }
)
# Steps of Jenkins core and the plugins every pipeline installation has (workflow-aggregator, credentials-
# binding, junit, mailer, git, workspace-cleanup, lockable-resources, docker-workflow), plus common ones.
KNOWN_STEPS = frozenset(
    [
        "sh",
        "bat",
        "pwsh",
        "powershell",
        "echo",
        "error",
        "unstable",
        "catchError",
        "warnError",
        "junit",
        "archiveArtifacts",
        "fingerprint",
        "stash",
        "unstash",
        "dir",
        "deleteDir",
        "cleanWs",
        "withCredentials",
        "withEnv",
        "timeout",
        "retry",
        "sleep",
        "waitUntil",
        "input",
        "mail",
        "emailext",
        "slackSend",
        "git",
        "checkout",
        "scm",
        "script",
        "writeFile",
        "readFile",
        "fileExists",
        "isUnix",
        "build",
        "milestone",
        "lock",
        "tool",
        "load",
        "recordIssues",
        "recordCoverage",
        "publishHTML",
        "publishChecks",
        "copyArtifacts",
        "sshagent",
        "withDockerRegistry",
        "withDockerContainer",
        "withMaven",
        "withGradle",
        "withSonarQubeEnv",
        "waitForQualityGate",
        "kubernetesDeploy",
        "readJSON",
        "writeJSON",
        "readYaml",
        "writeYaml",
        "readProperties",
        "zip",
        "unzip",
        "findFiles",
        "httpRequest",
        "buildDescription",
        "setBuildStatus",
        "githubNotify",
        "step",
        "timestamps",
        "ansiColor",
    ]
)
# The withCredentials binding arguments that name variables holding secrets.
_SECRET_ARGS = ("variable", "usernameVariable", "passwordVariable", "keyFileVariable", "passphraseVariable")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class LintIssue:
    """One finding, 1-based line."""

    line: int
    rule: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"line {self.line}: [{self.rule}] {self.message}"


@dataclass
class LintResult:
    issues: list[LintIssue]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not any(i.severity == "error" for i in self.issues)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "issues": [
                {"line": i.line, "rule": i.rule, "severity": i.severity, "message": i.message}
                for i in self.issues
            ],
        }


@dataclass
class _Token:
    kind: Literal["ident", "string", "gstring", "punct", "newline", "other"]
    text: str
    line: int


class _SyntaxProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _tokenise(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, n = 0, 1, len(source)
    while i < n:
        ch = source[i]
        if ch == "\n":
            tokens.append(_Token("newline", ch, line))
            line += 1
            i += 1
        elif ch in " \t\r":
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise _SyntaxProblem(line, "unterminated /* comment")
            line += source.count("\n", i, end)
            i = end + 2
        elif source.startswith(("'''", '"""'), i):
            quote = source[i : i + 3]
            end = source.find(quote, i + 3)
            if end < 0:
                raise _SyntaxProblem(line, f"unterminated {quote} string")
            body = source[i + 3 : end]
            tokens.append(_Token("gstring" if quote == '"""' else "string", body, line))
            line += body.count("\n")
            i = end + 3
        elif ch in "'\"":
            j = i + 1
            while j < n and source[j] != ch:
                if source[j] == "\\":
                    j += 1
                elif source[j] == "\n":
                    raise _SyntaxProblem(line, f"unterminated {ch} string")
                j += 1
            if j >= n:
                raise _SyntaxProblem(line, f"unterminated {ch} string")
            tokens.append(_Token("gstring" if ch == '"' else "string", source[i + 1 : j], line))
            i = j + 1
        elif m := _IDENT.match(source, i):
            tokens.append(_Token("ident", m.group(), line))
            i = m.end()
        elif m := _NUMBER.match(source, i):
            tokens.append(_Token("other", m.group(), line))
            i = m.end()
        elif ch in "{}()[],:=;.@":
            tokens.append(_Token("punct", ch, line))
            i += 1
        else:
            tokens.append(_Token("other", ch, line))
            i += 1
    return tokens


@dataclass
class _Node:
    """A statement: its first identifier, the tokens after it, and its ``{ }`` block if any."""

    name: str
    line: int
    args: list[_Token] = field(default_factory=list)
    children: list[_Node] | None = None

    @property
    def first_string(self) -> str | None:
        for token in self.args:
            if token.kind in {"string", "gstring"}:
                return token.text
        return None


class _Parser:
    _OPEN = {"(": ")", "[": "]"}

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def block(self, closing: bool) -> list[_Node]:
        nodes: list[_Node] = []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if token.kind == "newline" or token.text == ";":
                self.pos += 1
                continue
            if token.text == "}":
                if not closing:
                    raise _SyntaxProblem(token.line, "unexpected '}'")
                self.pos += 1
                return nodes
            nodes.append(self.statement())
        if closing:
            last = self.tokens[-1].line if self.tokens else 1
            raise _SyntaxProblem(last, "missing '}' at end of file")
        return nodes

    def statement(self) -> _Node:
        first = self.tokens[self.pos]
        node = _Node(name=first.text if first.kind == "ident" else "", line=first.line)
        self.pos += 1
        stack: list[str] = []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if stack:
                if token.text in self._OPEN and token.kind == "punct":
                    stack.append(self._OPEN[token.text])
                elif token.kind == "punct" and token.text in ")]":
                    if token.text != stack[-1]:
                        raise _SyntaxProblem(token.line, f"expected '{stack[-1]}' but found '{token.text}'")
                    stack.pop()
                elif token.text == "}" and token.kind == "punct":
                    raise _SyntaxProblem(token.line, f"expected '{stack[-1]}' before '}}'")
                if token.text == "{" and token.kind == "punct":
                    # a closure argument inside parentheses, e.g. retry(3) { } is outside; this is (x: { })
                    self.pos += 1
                    self.block(closing=True)
                    continue
                node.args.append(token)
                self.pos += 1
                continue
            if token.kind == "newline":
                previous = node.args[-1] if node.args else None
                # A trailing comma or operator continues the statement on the next line.
                if previous is not None and previous.text in {",", ":", "=", "+", "&&", "||"}:
                    self.pos += 1
                    continue
                return node
            if token.text == ";":
                return node
            if token.text == "}" and token.kind == "punct":
                return node
            if token.text == "{" and token.kind == "punct":
                self.pos += 1
                node.children = self.block(closing=True)
                return node
            if token.kind == "punct" and token.text in self._OPEN:
                stack.append(self._OPEN[token.text])
            elif token.kind == "punct" and token.text in ")]":
                raise _SyntaxProblem(token.line, f"unexpected '{token.text}'")
            node.args.append(token)
            self.pos += 1
        if stack:
            raise _SyntaxProblem(node.line, f"missing '{stack[-1]}'")
        return node


class _Checker:
    def __init__(self) -> None:
        self.issues: list[LintIssue] = []
        self.secrets: dict[str, int] = {}  # secret variable -> line bound

    def error(self, line: int, rule: str, message: str) -> None:
        self.issues.append(LintIssue(line, rule, message))

    def warn(self, line: int, rule: str, message: str) -> None:
        self.issues.append(LintIssue(line, rule, message, "warning"))

    def top(self, nodes: list[_Node]) -> None:
        pipelines = [n for n in nodes if n.name == "pipeline"]
        if len(pipelines) != 1:
            self.error(
                nodes[0].line if nodes else 1,
                "structure",
                "a declarative Jenkinsfile has exactly one top-level 'pipeline { }' block, "
                f"found {len(pipelines)}",
            )
        for node in nodes:
            if node.name not in {"pipeline", "import", "def"} and not (node.args or node.name == ""):
                self.warn(node.line, "structure", f"top-level statement '{node.name}' outside 'pipeline'")
        for pipeline in pipelines:
            self.pipeline(pipeline)

    def pipeline(self, node: _Node) -> None:
        if node.children is None:
            self.error(node.line, "structure", "'pipeline' needs a { } block")
            return
        names = [c.name for c in node.children]
        for child in node.children:
            if child.name not in PIPELINE_DIRECTIVES:
                self.error(child.line, "unknown-directive", f"'{child.name}' is not a pipeline directive")
        if "agent" not in names:
            self.error(node.line, "structure", "'pipeline' needs an 'agent' directive (e.g. 'agent any')")
        if names.count("stages") != 1:
            self.error(
                node.line,
                "structure",
                f"'pipeline' needs exactly one 'stages' block, found {names.count('stages')}",
            )
        for child in node.children:
            if child.name == "environment":
                self.environment(child)
            elif child.name == "stages":
                self.stages(child, set())
            elif child.name == "post":
                self.post(child)

    def environment(self, node: _Node) -> None:
        for child in node.children or []:
            text = " ".join(t.text for t in child.args)
            if re.search(r"=\s*credentials\s*\(", text):
                # credentials('id') binds NAME, and NAME_USR / NAME_PSW for username/password credentials.
                for suffix in ("", "_USR", "_PSW"):
                    self.secrets[child.name + suffix] = child.line

    def stages(self, node: _Node, seen: set[str]) -> None:
        children = node.children or []
        if not children:
            self.error(node.line, "structure", "'stages' needs at least one 'stage'")
        for child in children:
            if child.name != "stage":
                self.error(
                    child.line, "structure", f"only 'stage' may appear in 'stages', found '{child.name}'"
                )
                continue
            self.stage(child, seen)

    def stage(self, node: _Node, seen: set[str]) -> None:
        name = node.first_string
        if name is None:
            self.error(node.line, "structure", "a 'stage' needs a name: stage('Build') { ... }")
        elif name in seen:
            self.error(node.line, "duplicate-stage", f"stage name '{name}' is used twice")
        else:
            seen.add(name)
        if node.children is None:
            self.error(node.line, "structure", f"stage '{name}' needs a {{ }} block")
            return
        bodies = [c for c in node.children if c.name in {"steps", "parallel", "stages", "matrix"}]
        if len(bodies) != 1:
            self.error(
                node.line,
                "structure",
                f"stage '{name}' needs exactly one of 'steps', 'parallel', 'stages' or 'matrix', "
                f"found {len(bodies)}",
            )
        for child in node.children:
            if child.name not in STAGE_DIRECTIVES:
                self.error(child.line, "unknown-directive", f"'{child.name}' is not a stage directive")
            elif child.name == "steps":
                self.steps(child)
            elif child.name == "environment":
                self.environment(child)
            elif child.name in {"parallel", "stages"}:
                self.stages(child, seen)
            elif child.name == "post":
                self.post(child)

    def post(self, node: _Node) -> None:
        for child in node.children or []:
            if child.name not in POST_CONDITIONS:
                self.error(child.line, "unknown-directive", f"'{child.name}' is not a post condition")
            else:
                self.step_list(child.children or [], in_script=False)

    def steps(self, node: _Node) -> None:
        if not node.children:
            self.error(node.line, "structure", "'steps' must contain at least one step")
            return
        self.step_list(node.children, in_script=False)

    def step_list(self, nodes: list[_Node], *, in_script: bool) -> None:
        for step in nodes:
            if step.name == "withCredentials":
                self.bind_credentials(step)
            if not in_script and step.name and step.name not in KNOWN_STEPS:
                self.error(step.line, "unknown-step", f"'{step.name}' is not a known pipeline step")
            if step.children is not None:
                self.step_list(step.children, in_script=in_script or step.name == "script")

    def bind_credentials(self, node: _Node) -> None:
        args = node.args
        for i, token in enumerate(args[:-2]):
            if token.kind == "ident" and token.text in _SECRET_ARGS and args[i + 1].text == ":":
                value = args[i + 2]
                if value.kind in {"string", "gstring"}:
                    self.secrets[value.text] = token.line

    def credentials_quoting(self, tokens: list[_Token]) -> None:
        if not self.secrets:
            return
        names = "|".join(re.escape(s) for s in sorted(self.secrets, key=len, reverse=True))
        pattern = re.compile(rf"\$(?:\{{\s*(?:env\.)?({names})\s*\}}|(?:env\.)?({names})\b)")
        for token in tokens:
            if token.kind != "gstring":
                continue
            match = pattern.search(token.text)
            if match:
                secret = match.group(1) or match.group(2)
                self.error(
                    token.line,
                    "credentials-interpolation",
                    f"secret '{secret}' is interpolated by Groovy in a double-quoted string; use single "
                    f"quotes (sh '... ${secret} ...') so the shell expands it and it never enters the "
                    "command line",
                )


def lint_jenkinsfile(source: str) -> LintResult:
    """Lint a declarative Jenkinsfile; ``LintResult.ok`` is False when any error was found."""
    checker = _Checker()
    if not source.strip():
        return LintResult([LintIssue(1, "structure", "the Jenkinsfile is empty")])
    try:
        tokens = _tokenise(source)
        nodes = _Parser(tokens).block(closing=False)
    except _SyntaxProblem as problem:
        return LintResult([LintIssue(problem.line, "syntax", str(problem))])
    # Annotations such as @Library('lib') _ parse as nameless statements: allowed.
    checker.top([n for n in nodes if n.name != "" or not n.args or n.args[0].text != "Library"])
    checker.credentials_quoting(tokens)
    return LintResult(sorted(checker.issues, key=lambda i: (i.line, i.rule)))
