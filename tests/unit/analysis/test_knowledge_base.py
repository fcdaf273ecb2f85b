"""Every built-in knowledge-base rule recognises the lines its toolchain really prints, in a real log."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.analysis import analyze_stream, load_knowledge_base
from worker.analysis.kb import KnowledgeBaseError, compile_knowledge_base, rule_files

# (cause id, the line(s) a toolchain prints). Lines are written as the tools print them, not as the rules read.
EXAMPLES: list[tuple[str, str]] = [
    (
        "network.unreachable",
        "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='github.com', port=443): Max retries exceeded with url: /pypa/pkg/archive/master.zip (Caused by ResponseError('too many 502 error responses'))",
    ),
    ("elixir.compile-error", "** (CompileError) lib/shop/cart.ex:42: undefined function total/1"),
    ("elixir.test-failure", "  1) test adds an item to the cart (Shop.CartTest)"),
    (
        "elixir.dependency-error",
        "** (Mix) Could not find an SCM for dependency :plug_cowboy from Shop.MixProject",
    ),
    (
        "elixir.uncaught-exception",
        "** (RuntimeError) Line does not match format: '[kaguya](https://github.com/x/kaguya) - IRC bot'",
    ),
    (
        "yaml.parse-error",
        "(config/settings.yml): found character that cannot start any token while scanning for the next token at line 8 column 1",
    ),
    (
        "docker.daemon-unavailable",
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    ),
    (
        "docker.pull-failure",
        "Error response from daemon: manifest for acme/api:1.4.2 not found: manifest unknown: manifest unknown",
    ),
    (
        "docker.build-step-failure",
        "The command '/bin/sh -c apt-get install -y libpq-dev' returned a non-zero code: 100",
    ),
    (
        "docker.dockerfile-error",
        'ERROR: failed to compute cache key: failed to calculate checksum of ref 7d1: "/app/requirements.txt": not found',
    ),
    ("docker.push-denied", "denied: requested access to the resource is denied"),
    ("kubernetes.deploy-failure", 'error: deployment "checkout-api" exceeded its progress deadline'),
    (
        "dotnet.compile-error",
        "/src/Api/Controllers/OrdersController.cs(42,17): error CS0246: The type or namespace name 'OrderDto' could not be found [/src/Api/Api.csproj]",
    ),
    (
        "msbuild.error",
        "/usr/share/dotnet/sdk/8.0.100/Microsoft.Common.CurrentVersion.targets(1259,5): error MSB3644: The reference assemblies for .NETFramework,Version=v4.8 were not found.",
    ),
    (
        "nuget.restore-error",
        "/src/Api/Api.csproj : error NU1101: Unable to find package Acme.Telemetry. No packages exist with this id in source(s): nuget.org",
    ),
    ("dotnet.test-failure", "  Failed Acme.Orders.Tests.PricingTests.AppliesDiscount [12 ms]"),
    (
        "powershell.error",
        "    + CategoryInfo          : ObjectNotFound: (Invoke-Build:String) [], CommandNotFoundException",
    ),
    ("pester.test-failure", "[-] Get-Config returns the default profile 41ms"),
    ("go.test-failure", "--- FAIL: TestParseConfig (0.00s)"),
    ("go.compile-error", "internal/server/handler.go:57:9: undefined: NewRouter"),
    (
        "go.module-error",
        "go: github.com/acme/kit@v1.9.0: reading https://proxy.golang.org/github.com/acme/kit/@v/v1.9.0.mod: 404 Not Found",
    ),
    ("go.lint", "internal/store/pg.go:88:12: Error return value of `rows.Close` is not checked (errcheck)"),
    ("gradle.test-failure", "com.acme.cart.CartServiceTest > removesExpiredItems() FAILED"),
    ("gradle.compilation-failure", "Execution failed for task ':app:compileKotlin'."),
    (
        "gradle.dependency-resolution",
        "> Could not resolve all files for configuration ':app:runtimeClasspath'.",
    ),
    ("gradle.lint", "Execution failed for task ':app:spotlessJavaCheck'."),
    (
        "gradle.daemon-oom",
        "Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)",
    ),
    ("gradle.build-failure", "FAILURE: Build failed with an exception."),
    (
        "jenkins.agent-offline",
        'hudson.remoting.ChannelClosedException: Channel "hudson.remoting.Channel@3c1:agent-5": Remote call on agent-5 failed',
    ),
    ("jenkins.no-agent", "There are no nodes with the label ‘gpu-large’"),  # noqa: RUF001 (as Jenkins prints it)
    ("jenkins.pipeline-script-error", "WorkflowScript: 14: Expected a stage @ line 14, column 9."),
    ("jenkins.credentials-missing", "ERROR: Could not find credentials entry with ID 'nexus-deploy'"),
    (
        "jenkins.quality-gate",
        "[CheckStyle] -> Some quality gates have been missed: overall result is UNSTABLE",
    ),
    ("jenkins.tool-missing", "/home/jenkins/workspace/api@tmp/durable-4f1c/script.sh: 1: helm: not found"),
    ("jenkins.aborted", "Cancelling nested steps due to timeout"),
    (
        "jenkins.workspace-permission",
        "java.nio.file.AccessDeniedException: /home/jenkins/workspace/api/target/classes/app.properties",
    ),
    ("javac.compile-error", "/work/src/main/java/com/acme/Order.java:31: error: cannot find symbol"),
    ("scalac.compile-error", "[error] /work/core/src/main/scala/acme/Pricing.scala:12:5: type mismatch;"),
    (
        "kotlinc.compile-error",
        "e: /work/app/src/main/kotlin/acme/Cart.kt: (27, 14): Unresolved reference: discount",
    ),
    ("junit.test-failure", "- computes totals with tax *** FAILED ***"),
    ("ant.build-failed", "BUILD FAILED"),
    ("jvm.out-of-memory", 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space'),
    (
        "maven.test-failure",
        "[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.2 s <<< FAILURE! - in com.acme.CartTest",
    ),
    ("maven.compilation-failure", "[ERROR] COMPILATION ERROR : "),
    (
        "maven.dependency-resolution",
        "[ERROR] Failed to execute goal on project api: Could not resolve dependencies for project com.acme:api:jar:1.0.0: Could not find artifact com.acme:kit:jar:2.1.0 in nexus",
    ),
    (
        "maven.enforcer",
        "[ERROR] Rule 0: org.apache.maven.enforcer.rules.version.RequireJavaVersion failed with message:",
    ),
    ("maven.checkstyle", "[ERROR] You have 3 Checkstyle violations."),
    (
        "maven.build-failure",
        "[ERROR] Failed to execute goal org.codehaus.mojo:exec-maven-plugin:3.1.0:exec (gen) on project api: Command execution failed.",
    ),
    (
        "cc.compile-error",
        "src/parser.c:118:5: error: implicit declaration of function 'strlcpy' [-Werror=implicit-function-declaration]",
    ),
    (
        "ld.link-error",
        "/usr/bin/ld: obj/net.o: in function `connect_peer': net.c:(.text+0x1f4): undefined reference to `ssl_handshake'",
    ),
    ("cmake.configure-error", "CMake Error at CMakeLists.txt:42 (find_package):"),
    ("ctest.test-failure", "83% tests passed, 2 tests failed out of 12"),
    (
        "sanitizer.error",
        "==4211==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x55d3",
    ),
    ("npm.dependency-resolution", "npm ERR! code E404"),
    ("npm.missing-script", "npm ERR! missing script: test:ci"),
    ("node.module-not-found", "Error: Cannot find module 'dotenv'"),
    ("node.heap-oom", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
    ("jest.test-failure", "  ● CartSummary › shows the discounted total"),  # noqa: RUF001 (as Jest prints it)
    (
        "tsc.type-error",
        "src/cart/total.ts(14,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    ),
    ("eslint.lint-error", "✖ 3 problems (3 errors, 0 warnings)"),
    ("webpack.build-error", "Module build failed (from ./node_modules/babel-loader/lib/index.js):"),
    (
        "pytest.test-failure",
        "FAILED tests/test_pricing.py::test_discount_applies_once - AssertionError: assert 90 == 81",
    ),
    ("pytest.collection-error", "_________________ ERROR collecting tests/test_s3.py _________________"),
    ("python.unittest-failure", "FAIL: test_rounding (tests.test_money.MoneyTest)"),
    (
        "pip.install-failure",
        "ERROR: Could not find a version that satisfies the requirement acme-kit==2.4.1 (from versions: 2.3.0, 2.3.1)",
    ),
    ("python.import-error", "ModuleNotFoundError: No module named 'yaml'"),
    (
        "mypy.type-error",
        'src/app/models.py:41: error: Incompatible return value type (got "str", expected "int")  [return-value]',
    ),
    ("flake8.lint-error", "src/app/views.py:12:80: E501 line too long (96 > 79 characters)"),
    ("python.syntax-error", "SyntaxError: invalid syntax"),
    ("system.oom-killed", "Killed"),
    ("system.disk-full", "OSError: [Errno 28] No space left on device: '/home/jenkins/workspace/api/build'"),
    (
        "system.timeout",
        "No output has been received in the last 10m0s, this potentially indicates a stalled build or something wrong with the build itself.",
    ),
    ("network.unreachable", "curl: (6) Could not resolve host: artifacts.acme.internal"),
    (
        "system.permission-denied",
        "/home/jenkins/workspace/api@tmp/durable-1c2/script.sh: 3: ./deploy.sh: Permission denied",
    ),
    ("system.crash", "Segmentation fault (core dumped)"),
    ("rustc.compile-error", "error[E0425]: cannot find value `config` in this scope"),
    (
        "cargo.test-failure",
        "test result: FAILED. 41 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.31s",
    ),
    ("cargo.test-failure", "        FAIL [   9.875s] (396/396) tests-build::macros compile_fail_full"),
    ("cargo.test-failure", "     Summary [   9.876s] 396 tests run: 395 passed, 1 failed, 1 skipped"),
    ("cargo.dependency-error", 'error: failed to select a version for the requirement `serde = "^2.0"`'),
    (
        "clippy.lint",
        "   = help: for further information visit https://rust-lang.github.io/rust-clippy/master/index.html#needless_return",
    ),
    ("git.auth-failure", "fatal: Authentication failed for 'https://github.com/acme/api.git/'"),
    ("git.checkout-failure", "ERROR: Error cloning remote repo 'origin'"),
    ("git.merge-conflict", "CONFLICT (content): Merge conflict in src/main/resources/application.yml"),
    ("rspec.test-failure", "rspec ./spec/models/order_spec.rb:27 # Order#total applies the coupon"),
    ("bundler.install-failure", 'Bundler could not find compatible versions for gem "rack":'),
    ("phpunit.test-failure", "There was 1 failure:"),
    (
        "php.run-tests-failure",
        "FAIL Bug #60120 (proc_open hangs with large data) [ext/standard/tests/general_functions/bug60120.phpt]",
    ),
    (
        "composer.install-failure",
        "Your requirements could not be resolved to an installable set of packages.",
    ),
    ("xcode.build-failure", "** TEST FAILED **"),
    ("ghc.compile-error", "src/ShellCheck/Fixer.hs:38:10: error:"),
    ("erlang.common-test-failure", "suite:send_recv failed on line 593"),
    ("shellcheck.lint", "In scripts/deploy.sh line 14:"),
    ("ci.token-permission", "HttpError: Resource not accessible by integration"),
    ("ci.workflow-config", "Error: Input required and not supplied: token"),
    ("git.unsafe-directory", "fatal: detected dubious ownership in repository at '/__w/api/api'"),
    (
        "bot.dependency-update",
        "Dependabot encountered '1' error(s) during execution, please check the logs for more details.",
    ),
    ("npm.audit", "found 3 high severity vulnerabilities"),
]

NOISE_BEFORE = """Started by user admin
[Pipeline] Start of Pipeline
[Pipeline] node
Running on agent-3 in /home/jenkins/workspace/demo
[Pipeline] {
[Pipeline] sh
+ ./build.sh
Preparing the build environment
"""
NOISE_AFTER = """[Pipeline] }
[Pipeline] // node
[Pipeline] End of Pipeline
ERROR: script returned exit code 1
Finished: FAILURE
"""


def test_every_builtin_rule_has_an_example() -> None:
    kb = load_knowledge_base()
    assert {cause.id for cause in kb.causes} == {cause_id for cause_id, _ in EXAMPLES}


@pytest.mark.parametrize(("cause_id", "line"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_rule_recognises_its_toolchain_output(cause_id: str, line: str) -> None:
    log = NOISE_BEFORE + line + "\n" + NOISE_AFTER
    analysis = analyze_stream([log.encode()])
    found = {cause.id: cause for cause in analysis.causes}
    assert cause_id in found, f"{cause_id} not found; got {list(found)}"
    expected_line = NOISE_BEFORE.count("\n") + 1
    assert found[cause_id].line == expected_line
    # The line is in an excerpt block, at its own line number.
    assert any(
        b.start_line <= expected_line <= b.end_line
        and b.text.split("\n")[expected_line - b.start_line].strip() == line.strip()
        for b in analysis.excerpt
    )


def test_category_follows_the_best_cause() -> None:
    log = (
        NOISE_BEFORE
        + "npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2fkit\n"
    )
    analysis = analyze_stream([(log + NOISE_AFTER).encode()])
    assert analysis.category == "dependency"
    assert analysis.causes[0].id == "npm.dependency-resolution"


@pytest.mark.parametrize(
    "line",
    [
        "[INFO] Tests run: 12, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.3 s - in com.acme.CartTest",
        "[WARNING] Using platform encoding (UTF-8 actually) to copy filtered resources",
        "compiling with -Werror=format-security",
        "ok  \tgithub.com/acme/kit/store\t0.412s",
        "0 errors, 2 warnings",
    ],
)
def test_look_alikes_are_not_evidence(line: str) -> None:
    log = NOISE_BEFORE + line + "\n"
    analysis = analyze_stream([log.encode()])
    assert analysis.causes == []
    assert analysis.category == "unknown"


def test_user_rules_are_loaded_from_extra_directories(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(
        """
causes:
  - id: acme.license-server
    category: infrastructure
    description: The ACME license server refused the checkout.
    fix: Ask #build-infra to free a seat.
    weight: 9
    patterns: ['ACME-LIC-\\d{3}: no seats left']
"""
    )
    kb = load_knowledge_base([tmp_path])
    analysis = analyze_stream([b"step 1\nACME-LIC-042: no seats left\nmore\n"], knowledge_base=kb)
    assert analysis.causes[0].id == "acme.license-server"
    assert analysis.category == "infrastructure"
    assert analysis.causes[0].line == 2


def test_multi_line_indication_needs_both_lines_close_together(tmp_path: Path) -> None:
    (tmp_path / "seq.yaml").write_text(
        """
causes:
  - id: acme.flaky-db
    category: infrastructure
    description: The test database restarted under the tests.
    fix: Pin the database container's memory.
    sequences:
      - {first: 'database system is shutting down', then: 'connection to server .* failed', within: 3}
"""
    )
    kb = compile_knowledge_base([*rule_files(), tmp_path / "seq.yaml"])
    close = b"database system is shutting down\nretrying\nconnection to server at db failed\n"
    far = b"database system is shutting down\na\nb\nc\nd\nconnection to server at db failed\n"
    assert [c.id for c in analyze_stream([close], knowledge_base=kb).causes] == ["acme.flaky-db"]
    assert "acme.flaky-db" not in [c.id for c in analyze_stream([far], knowledge_base=kb).causes]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "causes:\n  - id: x.y\n    category: nonsense\n    description: d\n    fix: f\n    patterns: [a]\n",
            "field 'category'",
        ),
        (
            "causes:\n  - id: x.y\n    category: test\n    fix: f\n    patterns: [a]\n",
            "field 'description' is required",
        ),
        (
            "causes:\n  - id: x.y\n    category: test\n    description: d\n    fix: f\n",
            "needs 'patterns' or 'sequences'",
        ),
        (
            "causes:\n  - id: x.y\n    category: test\n    description: d\n    fix: f\n    patterns: ['(a']\n",
            "(a",
        ),
        (
            "signals:\n  - {pattern: '^_{3,} .* _{3,}$', weight: 0, section: true, until: '(unclosed'}\n",
            "signals[0]: field 'until' is not a valid regex",
        ),
        ("rules: []\n", "unknown top-level field"),
        ("causes: [\n", "not valid YAML"),
    ],
)
def test_malformed_rule_files_are_rejected_with_the_field_named(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(KnowledgeBaseError) as error:
        compile_knowledge_base([path])
    assert message in str(error.value)
    assert "bad.yaml" in str(error.value) or "(a" in str(error.value)


def test_duplicate_rule_ids_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "causes:\n  - id: maven.test-failure\n    category: test\n    description: d\n    fix: f\n    patterns: [a]\n"
    )
    with pytest.raises(KnowledgeBaseError, match="duplicates"):
        compile_knowledge_base([*rule_files(), path])


def test_re2_fallback_gives_the_same_analysis_as_hyperscan() -> None:
    files = rule_files()
    hs = compile_knowledge_base(files, engine="hyperscan")
    fallback = compile_knowledge_base(files, engine="re2")
    sample = Path(__file__).resolve().parents[3] / "samples" / "logs" / "maven-test-failure.log"
    log = sample.read_bytes()
    a = analyze_stream([log], knowledge_base=hs).model_dump(exclude={"stats"})
    b = analyze_stream([log], knowledge_base=fallback).model_dump(exclude={"stats"})
    assert a == b
