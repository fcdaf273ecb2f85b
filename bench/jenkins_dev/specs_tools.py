"""Dev-set logs whose failure is a build tool's inside a pipeline stage (Maven, Gradle, npm, pytest, go, cargo,
dotnet, C/C++, Docker). Each function returns the log's lines; ``»`` marks the labelled failure lines."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.jenkins_dev.jenkins_layer import head, post_actions, sh, skipped, stage, tagged, tail
from bench.jenkins_dev.tools import (
    BOLD,
    RED,
    RESET,
    cargo_noise,
    dotnet_noise,
    g,
    go_noise,
    jest_pass,
    maven_noise,
    maven_tail,
    npm_install_noise,
    pip_noise,
    pytest_progress,
    surefire_run,
)


@dataclass
class Spec:
    file: str
    repo: str  # the leave-one-out group: where the log's shape comes from
    toolchain: str
    category: str
    sources: list[str]
    timestamps: str
    build: Callable[[random.Random], list[str]]
    notes: str = ""
    tags: list[str] = field(default_factory=list)


SPECS: list[Spec] = []

MAVEN_DOC = "https://maven.apache.org/surefire/maven-surefire-plugin/ (console report format)"
JENKINS_DOC = "https://www.jenkins.io/doc/book/pipeline/ (console output of Pipeline steps)"
DURABLE = "https://github.com/jenkinsci/workflow-durable-task-step-plugin ('script returned exit code')"


def spec(
    file: str,
    repo: str,
    toolchain: str,
    category: str,
    sources: list[str],
    timestamps: str = "",
    notes: str = "",
) -> Callable[[Callable[[random.Random], list[str]]], Callable[[random.Random], list[str]]]:
    def register(fn: Callable[[random.Random], list[str]]) -> Callable[[random.Random], list[str]]:
        SPECS.append(Spec(file, repo, toolchain, category, [JENKINS_DOC, *sources], timestamps, fn, notes))
        return fn

    return register


def _declarative(
    rng: random.Random,
    repo: str,
    stages: list[str],
    result: str = "FAILURE",
    error: str | None = "ERROR: script returned exit code 1",
    junit: bool = True,
    agent: str = "agent-linux-2",
) -> list[str]:
    return [*head(rng, repo, agent), *stages, *post_actions(rng, junit), *tail(result, error)]


@spec("01-maven-surefire-assertion.log", "docs:maven", "maven", "test", [MAVEN_DOC, DURABLE], "iso")
def maven_surefire(rng: random.Random) -> list[str]:
    test = [
        *maven_noise(rng),
        "[INFO] -------------------------------------------------------",
        "[INFO]  T E S T S",
        "[INFO] -------------------------------------------------------",
        *surefire_run(rng, False, "com.acme.cart.PriceTest", noisy_logs=True),
        *surefire_run(rng, True, "com.acme.cart.CartServiceTest"),
        *g(
            [
                "[ERROR] Tests run: 7, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.412 s <<< FAILURE! - in com.acme.cart.CartServiceTest",
                "[ERROR] com.acme.cart.CartServiceTest.removesExpiredItems  Time elapsed: 0.031 s  <<< FAILURE!",
                "org.opentest4j.AssertionFailedError: expected: <2> but was: <3>",
                "\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)",
                "\tat com.acme.cart.CartServiceTest.removesExpiredItems(CartServiceTest.java:58)",
            ]
        ),
        "",
        *surefire_run(rng, False, "com.acme.cart.TaxTest"),
        "[INFO] ",
        "[INFO] Results:",
        "[INFO] ",
        "[ERROR] Failures: ",
        "[ERROR]   CartServiceTest.removesExpiredItems:58 expected: <2> but was: <3>",
        "[INFO] ",
        "[ERROR] Tests run: 31, Failures: 1, Errors: 0, Skipped: 2",
        "[INFO] ",
        *maven_tail(
            "default-test",
            "org.apache.maven.plugins:maven-surefire-plugin:3.2.2:test",
            [
                "There are test failures.",
                "",
                "Please refer to /var/lib/jenkins/workspace/app_main/target/surefire-reports for the individual test results.",
            ],
        ),
    ]
    return _declarative(
        rng,
        "acme/cart-service",
        [
            *stage("Build", sh("mvn -B clean package -DskipTests", maven_noise(rng))),
            *stage("Test", sh("mvn -B test", test)),
            *skipped("Deploy"),
        ],
    )


@spec(
    "02-maven-compile-ansi.log",
    "docs:maven",
    "maven",
    "compilation",
    ["https://maven.apache.org/plugins/maven-compiler-plugin/"],
)
def maven_compile(rng: random.Random) -> list[str]:
    err = f"[{RED}ERROR{RESET}]"
    body = [
        *maven_noise(rng, ansi=True),
        f"[{BOLD}INFO{RESET}] -------------------------------------------------------------",
        f"{err} COMPILATION ERROR : ",
        f"[{BOLD}INFO{RESET}] -------------------------------------------------------------",
        *g(
            [
                f"{err} /var/lib/jenkins/workspace/app_main/src/main/java/com/acme/orders/OrderService.java:[47,29] cannot find symbol",
                f"{err}   symbol:   method findByCustomer(java.lang.String)",
                f"{err}   location: variable repository of type com.acme.orders.OrderRepository",
            ]
        ),
        f"[{BOLD}INFO{RESET}] 1 error",
        f"[{BOLD}INFO{RESET}] -------------------------------------------------------------",
        *maven_tail(
            "default-compile",
            "org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile",
            [
                "Compilation failure",
                "/var/lib/jenkins/workspace/app_main/src/main/java/com/acme/orders/OrderService.java:[47,29] cannot find symbol",
                "  symbol:   method findByCustomer(java.lang.String)",
                "  location: variable repository of type com.acme.orders.OrderRepository",
            ],
            ansi=True,
        ),
    ]
    return _declarative(
        rng,
        "acme/orders",
        [*stage("Build", sh("mvn -B -Dstyle.color=always clean verify", body)), *skipped("Publish")],
        junit=False,
    )


@spec(
    "03-maven-dependency.log",
    "docs:maven",
    "maven",
    "dependency",
    ["https://maven.apache.org/guides/mini/guide-multiple-repositories.html"],
    "clock",
)
def maven_dependency(rng: random.Random) -> list[str]:
    body = [
        *maven_noise(rng)[:12],
        "Downloading from nexus: https://nexus.acme.internal/repository/maven-public/com/acme/platform-bom/4.2.0/platform-bom-4.2.0.pom",
        "[WARNING] The POM for com.acme:platform-client:jar:4.2.0 is missing, no dependency information available",
        "[INFO] ------------------------------------------------------------------------",
        "[INFO] BUILD FAILURE",
        "[INFO] ------------------------------------------------------------------------",
        *g(
            [
                "[ERROR] Failed to execute goal on project billing: Could not resolve dependencies for project com.acme:billing:jar:1.8.0-SNAPSHOT: Could not find artifact com.acme:platform-client:jar:4.2.0 in nexus (https://nexus.acme.internal/repository/maven-public/) -> [Help 1]"
            ]
        ),
        "[ERROR] ",
        "[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.",
        "[ERROR] Re-run Maven using the -X switch to enable full debug logging.",
        "[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/DependencyResolutionException",
    ]
    return _declarative(
        rng,
        "acme/billing",
        [*stage("Build", sh("mvn -B -s $MAVEN_SETTINGS package", body)), *skipped("Test", "Deploy")],
        junit=False,
    )


@spec(
    "04-maven-checkstyle.log",
    "docs:maven",
    "maven",
    "lint",
    ["https://maven.apache.org/plugins/maven-checkstyle-plugin/"],
    notes="A wrapper ('Failed to execute goal <plugin>') whose category comes from the plugin: checkstyle -> lint.",
)
def maven_checkstyle(rng: random.Random) -> list[str]:
    body = [
        *maven_noise(rng),
        "[INFO] --- maven-checkstyle-plugin:3.3.1:check (validate) @ demo-module-0 ---",
        "[INFO] Starting audit...",
        *g(
            [
                "[ERROR] src/main/java/com/acme/api/UserController.java:[31,5] (javadoc) MissingJavadocMethod: Missing a Javadoc comment.",
                "[ERROR] src/main/java/com/acme/api/UserController.java:[88,121] (sizes) LineLength: Line is longer than 120 characters (found 131).",
            ]
        ),
        "Audit done.",
        "[INFO] ------------------------------------------------------------------------",
        "[INFO] BUILD FAILURE",
        "[INFO] ------------------------------------------------------------------------",
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-checkstyle-plugin:3.3.1:check (validate) on project demo-module-0: You have 2 Checkstyle violations. -> [Help 1]",
        "[ERROR] ",
        "[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.",
    ]
    return _declarative(
        rng, "acme/users", [*stage("Verify", sh("mvn -B verify", body)), *skipped("Deploy")], junit=False
    )


@spec(
    "05-maven-unstable-junit.log",
    "docs:maven",
    "maven",
    "test",
    [MAVEN_DOC, "https://plugins.jenkins.io/junit/"],
    "iso",
    notes="-Dmaven.test.failure.ignore: the step succeeds, junit marks the build UNSTABLE; the failure is the test report inside a step that exited 0.",
)
def maven_unstable(rng: random.Random) -> list[str]:
    body = [
        *maven_noise(rng),
        *surefire_run(rng, False, "com.acme.geo.DistanceTest"),
        *surefire_run(rng, True, "com.acme.geo.RouteTest"),
        *g(
            [
                "[ERROR] Tests run: 4, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 1.02 s <<< FAILURE! - in com.acme.geo.RouteTest",
                "[ERROR] com.acme.geo.RouteTest.shortestPathAvoidsTolls  Time elapsed: 0.2 s  <<< ERROR!",
                'java.lang.NullPointerException: Cannot invoke "com.acme.geo.Edge.cost()" because "edge" is null',
                "\tat com.acme.geo.Router.relax(Router.java:112)",
            ]
        ),
        "\tat com.acme.geo.Router.shortestPath(Router.java:64)",
        "\tat com.acme.geo.RouteTest.shortestPathAvoidsTolls(RouteTest.java:41)",
        "",
        "[INFO] Results:",
        "[ERROR] Errors: ",
        '[ERROR]   RouteTest.shortestPathAvoidsTolls:41 » NullPointer Cannot invoke "com.acme.geo.Edge.cost()"',
        "[ERROR] Tests run: 12, Failures: 0, Errors: 1, Skipped: 0",
        "[INFO] BUILD SUCCESS",
    ]
    stages = [*stage("Test", sh("mvn -B -Dmaven.test.failure.ignore=true verify", body))]
    post = stage(
        "Declarative: Post Actions",
        [
            "[Pipeline] junit",
            "Recording test results",
            "[Checks API] No suitable checks publisher found.",
            "[Pipeline] echo",
            "Tests failed: marking build UNSTABLE",
        ],
    )
    return [*head(rng, "acme/geo"), *stages, *post, *tail("UNSTABLE", None)]


GRADLE_DOC = "https://docs.gradle.org/current/userguide/troubleshooting.html"


def _gradle_footer(task: str, what: list[str]) -> list[str]:
    return [
        "",
        "FAILURE: Build failed with an exception.",
        "",
        "* What went wrong:",
        *what,
        "",
        "* Try:",
        "> Run with --stacktrace option to get the stack trace.",
        "> Run with --info or --debug option to get more log output.",
        "> Run with --scan to get full insights.",
        "> Get more help at https://help.gradle.org.",
        "",
        "BUILD FAILED in 48s",
        "7 actionable tasks: 5 executed, 2 up-to-date",
    ]


def _gradle_tasks(names: list[str]) -> list[str]:
    return [f"> Task :{n}" for n in names]


@spec("06-gradle-javac.log", "docs:gradle", "gradle", "compilation", [GRADLE_DOC])
def gradle_javac(rng: random.Random) -> list[str]:
    body = [
        "Starting a Gradle Daemon (subsequent builds will be faster)",
        *_gradle_tasks(["compileJava"]),
        *g(
            [
                "/var/lib/jenkins/workspace/app_main/src/main/java/com/acme/inventory/StockLevel.java:23: error: incompatible types: possible lossy conversion from long to int",
                "        int total = warehouse.count() + reserved;",
                "                                      ^",
            ]
        ),
        "1 error",
        "",
        *_gradle_tasks(["compileJava FAILED"]),
        *_gradle_footer(
            "compileJava",
            [
                "Execution failed for task ':compileJava'.",
                "> Compilation failed; see the compiler error output for details.",
            ],
        ),
    ]
    return _declarative(
        rng,
        "acme/inventory",
        [*stage("Build", sh("./gradlew build --no-daemon", body)), *skipped("Docker image")],
        junit=False,
    )


@spec(
    "07-gradle-test.log",
    "docs:gradle",
    "gradle",
    "test",
    [GRADLE_DOC, "https://docs.gradle.org/current/userguide/java_testing.html"],
    "clock",
)
def gradle_test(rng: random.Random) -> list[str]:
    body = [
        *_gradle_tasks(["compileJava", "processResources", "classes", "compileTestJava", "test"]),
        "",
        "InvoiceFormatterTest > formatsCurrency() PASSED",
        "InvoiceFormatterTest > handlesErrorCodes() PASSED",
        *g(
            [
                "InvoiceServiceTest > rejectsNegativeTotals() FAILED",
                "    java.lang.AssertionError: Expected exception IllegalArgumentException to be thrown, but nothing was thrown.",
                "        at app//org.junit.jupiter.api.AssertThrows.assertThrows(AssertThrows.java:73)",
                "        at app//com.acme.invoice.InvoiceServiceTest.rejectsNegativeTotals(InvoiceServiceTest.java:37)",
            ]
        ),
        "",
        "24 tests completed, 1 failed",
        "",
        *_gradle_tasks(["test FAILED"]),
        *_gradle_footer(
            "test",
            [
                "Execution failed for task ':test'.",
                "> There were failing tests. See the report at: file:///var/lib/jenkins/workspace/app_main/build/reports/tests/test/index.html",
            ],
        ),
    ]
    return _declarative(
        rng,
        "acme/invoice",
        [
            *stage(
                "Build",
                sh(
                    "./gradlew assemble",
                    [*_gradle_tasks(["compileJava", "jar", "assemble"]), "BUILD SUCCESSFUL in 21s"],
                ),
            ),
            *stage("Test", sh("./gradlew test", body)),
        ],
    )


@spec(
    "08-gradle-dependency.log",
    "docs:gradle",
    "gradle",
    "dependency",
    [GRADLE_DOC, "https://docs.gradle.org/current/userguide/dependency_resolution.html"],
)
def gradle_dependency(rng: random.Random) -> list[str]:
    body = [
        *_gradle_tasks(["compileJava"]),
        "",
        "FAILURE: Build failed with an exception.",
        "",
        "* What went wrong:",
        *g(
            [
                "Execution failed for task ':compileJava'.",
                "> Could not resolve all files for configuration ':compileClasspath'.",
                "   > Could not find com.acme:feature-flags:2.3.1.",
                "     Searched in the following locations:",
                "       - https://repo.maven.apache.org/maven2/com/acme/feature-flags/2.3.1/feature-flags-2.3.1.pom",
                "     Required by:",
                "         project :",
            ]
        ),
        "",
        "* Try:",
        "> Run with --stacktrace option to get the stack trace.",
        "",
        "BUILD FAILED in 9s",
    ]
    return _declarative(rng, "acme/flags", [*stage("Build", sh("./gradlew build", body))], junit=False)


@spec(
    "09-gradle-spotless.log",
    "docs:gradle",
    "gradle",
    "lint",
    ["https://github.com/diffplug/spotless/tree/main/plugin-gradle"],
    "iso",
)
def gradle_spotless(rng: random.Random) -> list[str]:
    body = [
        *_gradle_tasks(["spotlessJava", "spotlessJavaCheck FAILED"]),
        "",
        "FAILURE: Build failed with an exception.",
        "",
        "* What went wrong:",
        *g(
            [
                "Execution failed for task ':spotlessJavaCheck'.",
                "> The following files had format violations:",
                "      src/main/java/com/acme/search/QueryParser.java",
                "          @@ -12,7 +12,7 @@",
                "          -····if(query==null){",
                "          +····if·(query·==·null)·{",
                "  Run './gradlew :spotlessApply' to fix these violations.",
            ]
        ),
        "",
        "BUILD FAILED in 14s",
    ]
    return _declarative(
        rng,
        "acme/search",
        [*stage("Lint", sh("./gradlew spotlessCheck", body)), *skipped("Build", "Test")],
        junit=False,
    )


NPM_DOC = "https://docs.npmjs.com/cli/v10/commands/npm-install (npm >= 7 prints 'npm error' / 'npm ERR!')"


@spec(
    "10-npm-eresolve.log",
    "docs:npm",
    "npm",
    "dependency",
    [NPM_DOC],
    notes="npm 10 prints 'npm error' (npm 7-9 printed 'npm ERR!').",
)
def npm_eresolve(rng: random.Random) -> list[str]:
    body = [
        *g(
            [
                "npm error code ERESOLVE",
                "npm error ERESOLVE unable to resolve dependency tree",
                "npm error",
                "npm error While resolving: web-app@2.4.0",
                "npm error Found: react@18.2.0",
                "npm error node_modules/react",
                'npm error   react@"^18.2.0" from the root project',
                "npm error",
                "npm error Could not resolve dependency:",
                'npm error peer react@"^16.8.0 || ^17.0.0" from react-beautiful-dnd@13.1.1',
            ]
        ),
        "npm error node_modules/react-beautiful-dnd",
        'npm error   react-beautiful-dnd@"^13.1.1" from the root project',
        "npm error",
        "npm error Fix the upstream dependency conflict, or retry",
        "npm error this command with --force or --legacy-peer-deps",
        "npm error to accept an incorrect (and potentially broken) dependency resolution.",
        "npm error",
        "npm error A complete log of this run can be found in: /home/jenkins/.npm/_logs/2024-05-02T10_16_03_123Z-debug-0.log",
    ]
    return _declarative(
        rng,
        "acme/web-app",
        [*stage("Install", sh("npm ci", body)), *skipped("Test", "Build")],
        junit=False,
        agent="docker-node-20",
    )


@spec("11-npm-jest.log", "docs:jest", "jest", "test", ["https://jestjs.io/docs/cli", NPM_DOC], "clock")
def npm_jest(rng: random.Random) -> list[str]:
    test = [
        "",
        "> web-app@2.4.0 test",
        "> jest --ci",
        "",
        *jest_pass(rng, "utils/format"),
        *jest_pass(rng, "api/client"),
        f"{RED}FAIL{RESET} src/cart/total.test.ts",
        *g(
            [
                "  ● cart total › applies the discount once",
                "",
                "    expect(received).toBe(expected) // Object.is equality",
                "",
                "    Expected: 90",
                "    Received: 81",
            ]
        ),
        "",
        "      12 |     const cart = makeCart([item(100)]);",
        "      13 |     applyDiscount(cart, 0.1);",
        "    > 14 |     expect(total(cart)).toBe(90);",
        "         |                         ^",
        "      15 |   });",
        "",
        "      at Object.toBe (src/cart/total.test.ts:14:25)",
        "",
        *jest_pass(rng, "ui/button"),
        "",
        "Test Suites: 1 failed, 3 passed, 4 total",
        "Tests:       1 failed, 41 passed, 42 total",
        "Snapshots:   0 total",
        "Time:        6.214 s",
        "Ran all test suites.",
    ]
    return _declarative(
        rng,
        "acme/web-app",
        [
            *stage("Install", sh("npm ci", npm_install_noise(rng))),
            *stage("Test", sh("npm test", test)),
            *skipped("Deploy"),
        ],
    )


@spec(
    "12-eslint.log",
    "docs:eslint",
    "eslint",
    "lint",
    ["https://eslint.org/docs/latest/use/formatters/#stylish"],
)
def eslint(rng: random.Random) -> list[str]:
    body = [
        "",
        "> web-app@2.4.0 lint",
        "> eslint src",
        "",
        *g(
            [
                "/var/lib/jenkins/workspace/app_main/src/api/client.ts",
                "  17:7   error    'retries' is assigned a value but never used  @typescript-eslint/no-unused-vars",
                "  42:12  error    Unexpected any. Specify a different type      @typescript-eslint/no-explicit-any",
            ]
        ),
        "  58:3   warning  Unexpected console statement                  no-console",
        "",
        "✖ 3 problems (2 errors, 1 warning)",
        "",
    ]
    return _declarative(
        rng,
        "acme/web-app",
        [
            *stage("Install", sh("npm ci", npm_install_noise(rng))),
            *stage("Lint", sh("npm run lint", body)),
            *skipped("Test"),
        ],
        junit=False,
    )


@spec(
    "13-tsc.log",
    "docs:typescript",
    "tsc",
    "compilation",
    ["https://www.typescriptlang.org/docs/handbook/compiler-options.html"],
    "iso",
)
def tsc(rng: random.Random) -> list[str]:
    body = [
        "",
        "> web-app@2.4.0 build",
        "> tsc -p tsconfig.build.json && vite build",
        "",
        *g(
            [
                "src/orders/summary.ts(27,5): error TS2322: Type 'string | undefined' is not assignable to type 'string'.",
                "  Type 'undefined' is not assignable to type 'string'.",
            ]
        ),
    ]
    return _declarative(
        rng,
        "acme/web-app",
        [
            *stage("Install", sh("npm ci", npm_install_noise(rng))),
            *stage("Build", sh("npm run build", body)),
            *skipped("Publish"),
        ],
        junit=False,
    )


PYTEST_DOC = "https://docs.pytest.org/en/stable/how-to/output.html"


@spec("14-pytest-assert.log", "docs:pytest", "pytest", "test", [PYTEST_DOC], "clock")
def pytest_assert(rng: random.Random) -> list[str]:
    body = [
        *pytest_progress(
            rng,
            ["test_api.py", "test_models.py", "test_pricing.py", "test_utils.py"],
            fail_in="test_pricing.py",
        ),
        "",
        "=================================== FAILURES ===================================",
        *g(
            [
                "__________________________ test_bulk_discount_applies __________________________",
                "",
                "    def test_bulk_discount_applies():",
                "        order = Order(items=[Item(price=10)] * 12)",
                ">       assert order.total() == 108",
                "E       assert 120 == 108",
                "E        +  where 120 = <bound method Order.total of Order(items=12)>()",
                "",
                "tests/test_pricing.py:41: AssertionError",
            ]
        ),
        "------------------------------ Captured log call -------------------------------",
        "ERROR    pricing:pricing.py:88 discount table not loaded, using defaults",
        "=========================== short test summary info ============================",
        "FAILED tests/test_pricing.py::test_bulk_discount_applies - assert 120 == 108",
        "================== 1 failed, 211 passed, 4 skipped in 12.31s ===================",
    ]
    return _declarative(
        rng,
        "acme/shop-py",
        [
            *stage("Setup", sh("pip install -r requirements.txt", pip_noise(rng))),
            *stage("Test", sh("python -m pytest -q --junitxml=reports/junit.xml", body)),
        ],
    )


@spec(
    "15-pytest-collection-syntax.log",
    "docs:pytest",
    "pytest",
    "compilation",
    [PYTEST_DOC],
    notes="An import-time SyntaxError during collection: compilation, not test.",
)
def pytest_collection(rng: random.Random) -> list[str]:
    body = [
        "============================= test session starts ==============================",
        "platform linux -- Python 3.12.1, pytest-8.0.0, pluggy-1.4.0",
        "collected 57 items / 1 error",
        "",
        "==================================== ERRORS ====================================",
        "____________________ ERROR collecting tests/test_report.py _____________________",
        "/usr/lib/python3.12/site-packages/_pytest/python.py:520: in importtestmodule",
        "    mod = import_path(self.path, mode=importmode, root=self.config.rootpath)",
        *g(
            [
                'E     File "/var/lib/jenkins/workspace/app_main/src/report/render.py", line 33',
                "E       return f\"{row['name']:<{width}\"",
                "E                                      ^",
                "E   SyntaxError: f-string: expecting '}'",
            ]
        ),
        "=========================== short test summary info ============================",
        "ERROR tests/test_report.py",
        "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!",
        "=============================== 1 error in 0.84s ===============================",
    ]
    return _declarative(rng, "acme/reports", [*stage("Test", sh("pytest", body))])


@spec(
    "16-pip-no-distribution.log",
    "docs:pip",
    "pip",
    "dependency",
    ["https://pip.pypa.io/en/stable/topics/dependency-resolution/"],
    "iso",
)
def pip_missing(rng: random.Random) -> list[str]:
    body = [
        *pip_noise(rng)[:-1],
        *g(
            [
                "ERROR: Could not find a version that satisfies the requirement torch==2.9.7 (from versions: 2.2.0, 2.2.1, 2.2.2, 2.3.0)",
                "ERROR: No matching distribution found for torch==2.9.7",
            ]
        ),
    ]
    return _declarative(
        rng,
        "acme/ml-service",
        [*stage("Setup", sh("pip install -r requirements.txt", body)), *skipped("Test")],
        junit=False,
    )


@spec("17-ruff.log", "docs:ruff", "ruff", "lint", ["https://docs.astral.sh/ruff/linter/"])
def ruff(rng: random.Random) -> list[str]:
    body = [
        *g(
            [
                "src/app/handlers.py:14:1: F401 [*] `os` imported but unused",
                "src/app/handlers.py:87:5: E722 Do not use bare `except`",
            ]
        ),
        "Found 2 errors.",
        "[*] 1 fixable with the `--fix` option.",
    ]
    return _declarative(
        rng,
        "acme/handlers",
        [
            *stage("Setup", sh("pip install ruff", ["Collecting ruff", "Successfully installed ruff-0.4.4"])),
            *stage("Lint", sh("ruff check .", body)),
            *skipped("Test"),
        ],
        junit=False,
    )


GO_DOC = "https://pkg.go.dev/cmd/go#hdr-Test_packages"


@spec("18-go-test.log", "docs:go", "go", "test", [GO_DOC], "clock")
def go_test(rng: random.Random) -> list[str]:
    body = [
        *go_noise(rng),
        "=== RUN   TestParseConfig",
        "--- PASS: TestParseConfig (0.00s)",
        "=== RUN   TestParseError",
        "--- PASS: TestParseError (0.00s)",
        "=== RUN   TestRetryBackoff",
        *g(
            [
                "    backoff_test.go:44: attempt 3: got delay 800ms, want 400ms",
                "--- FAIL: TestRetryBackoff (0.01s)",
            ]
        ),
        "FAIL",
        "FAIL\tgithub.com/acme/fetcher/retry\t0.015s",
        "ok  \tgithub.com/acme/fetcher/config\t0.011s",
        "FAIL",
    ]
    return _declarative(
        rng,
        "acme/fetcher",
        [*stage("Test", sh("go test ./...", body))],
        error="ERROR: script returned exit code 1",
    )


@spec(
    "19-go-build.log",
    "docs:go",
    "go",
    "compilation",
    ["https://pkg.go.dev/cmd/go#hdr-Compile_packages_and_dependencies"],
)
def go_build(rng: random.Random) -> list[str]:
    body = [
        *go_noise(rng),
        "# github.com/acme/fetcher/cache",
        *g(
            [
                "cache/lru.go:52:9: undefined: evictOldest",
                "cache/lru.go:61:14: cannot use size (variable of type int64) as int value in argument to c.grow",
            ]
        ),
    ]
    return _declarative(
        rng,
        "acme/fetcher",
        [*stage("Build", sh("go build ./...", body)), *skipped("Test")],
        junit=False,
        error="ERROR: script returned exit code 1",
    )


@spec(
    "20-golangci-lint.log",
    "docs:golangci-lint",
    "go",
    "lint",
    ["https://golangci-lint.run/usage/configuration/#output-configuration"],
    "iso",
)
def golangci(rng: random.Random) -> list[str]:
    body = [
        'level=info msg="[config_reader] Config search paths: [./ /var/lib/jenkins/workspace/app_main /]"',
        'level=info msg="[lintersdb] Active 8 linters: [errcheck gosimple govet ineffassign staticcheck unused]"',
        *g(
            [
                "server/http.go:71:15: Error return value of `w.Write` is not checked (errcheck)",
                '\tw.Write([]byte("ok"))',
                "\t       ^",
            ]
        ),
        'level=info msg="File cache stats: 34 entries of total size 190.2KiB"',
    ]
    return _declarative(
        rng, "acme/fetcher", [*stage("Lint", sh("golangci-lint run --timeout 5m", body))], junit=False
    )


CARGO_DOC = "https://doc.rust-lang.org/cargo/commands/cargo-test.html"


@spec(
    "21-cargo-build.log",
    "docs:cargo",
    "cargo",
    "compilation",
    ["https://doc.rust-lang.org/rustc/json.html (human-readable diagnostics)"],
)
def cargo_build(rng: random.Random) -> list[str]:
    body = [
        *cargo_noise(rng),
        "   Compiling ledger v0.3.0 (/var/lib/jenkins/workspace/app_main)",
        *g(
            [
                "error[E0308]: mismatched types",
                "  --> src/account.rs:88:20",
                "   |",
                "88 |         let cents: u32 = amount * 100;",
                "   |                    ---   ^^^^^^^^^^^^ expected `u32`, found `u64`",
                "   |                    |",
                "   |                    expected due to this",
            ]
        ),
        "",
        "For more information about this error, try `rustc --explain E0308`.",
        "error: could not compile `ledger` (lib) due to 1 previous error",
    ]
    return _declarative(
        rng,
        "acme/ledger",
        [*stage("Build", sh("cargo build --release", body))],
        junit=False,
        error="ERROR: script returned exit code 101",
    )


@spec("22-cargo-test.log", "docs:cargo", "cargo", "test", [CARGO_DOC], "clock")
def cargo_test(rng: random.Random) -> list[str]:
    body = [
        *cargo_noise(rng),
        "    Finished test [unoptimized + debuginfo] target(s) in 41.30s",
        "     Running unittests src/lib.rs (target/debug/deps/ledger-3f2a1c)",
        "",
        "running 14 tests",
        "test account::tests::opens ... ok",
        "test account::tests::rejects_overdraft ... ok",
        "test rate::tests::compounds_monthly ... FAILED",
        "test rate::tests::error_on_negative ... ok",
        "",
        "failures:",
        "",
        "---- rate::tests::compounds_monthly stdout ----",
        *g(
            [
                "thread 'rate::tests::compounds_monthly' panicked at src/rate.rs:57:9:",
                "assertion `left == right` failed",
                "  left: 1051",
                " right: 1052",
            ]
        ),
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        "",
        "",
        "failures:",
        "    rate::tests::compounds_monthly",
        "",
        "test result: FAILED. 13 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s",
        "",
        "error: test failed, to rerun pass `--lib`",
    ]
    return _declarative(
        rng,
        "acme/ledger",
        [*stage("Test", sh("cargo test", body))],
        error="ERROR: script returned exit code 101",
    )


DOTNET_DOC = "https://learn.microsoft.com/dotnet/core/tools/dotnet-build"


@spec("23-dotnet-build.log", "docs:dotnet", "dotnet", "compilation", [DOTNET_DOC], "iso")
def dotnet_build(rng: random.Random) -> list[str]:
    body = [
        *dotnet_noise(rng),
        *g(
            [
                "/src/Acme.Api/Controllers/OrdersController.cs(41,17): error CS0103: The name 'orderServce' does not exist in the current context [/src/Acme.Api/Acme.Api.csproj]"
            ]
        ),
        "",
        "Build FAILED.",
        "",
        "/src/Acme.Api/Legacy.cs(12,9): warning CS0618: 'WebClient.WebClient()' is obsolete [/src/Acme.Api/Acme.Api.csproj]",
        "/src/Acme.Api/Controllers/OrdersController.cs(41,17): error CS0103: The name 'orderServce' does not exist in the current context [/src/Acme.Api/Acme.Api.csproj]",
        "    1 Warning(s)",
        "    1 Error(s)",
        "",
        "Time Elapsed 00:00:14.52",
    ]
    return _declarative(
        rng,
        "acme/api-dotnet",
        [*stage("Build", sh("dotnet build -c Release", body)), *skipped("Test")],
        junit=False,
    )


@spec(
    "24-dotnet-test.log",
    "docs:dotnet",
    "dotnet",
    "test",
    ["https://learn.microsoft.com/dotnet/core/tools/dotnet-test"],
)
def dotnet_test(rng: random.Random) -> list[str]:
    body = [
        *dotnet_noise(rng)[:4],
        "  Acme.Tests -> /src/Acme.Tests/bin/Release/net8.0/Acme.Tests.dll",
        "Test run for /src/Acme.Tests/bin/Release/net8.0/Acme.Tests.dll (.NETCoreApp,Version=v8.0)",
        "Starting test execution, please wait...",
        "A total of 1 test files matched the specified pattern.",
        *g(
            [
                "  Failed Acme.Tests.OrderTests.CancelRefundsPayment [23 ms]",
                "  Error Message:",
                "   Assert.Equal() Failure: Values differ",
                "Expected: Refunded",
                "Actual:   Pending",
                "  Stack Trace:",
                "     at Acme.Tests.OrderTests.CancelRefundsPayment() in /src/Acme.Tests/OrderTests.cs:line 58",
            ]
        ),
        "",
        "Failed!  - Failed:     1, Passed:    63, Skipped:     0, Total:    64, Duration: 1 s - Acme.Tests.dll (net8.0)",
    ]
    return _declarative(
        rng, "acme/api-dotnet", [*stage("Test", sh("dotnet test --no-build -c Release", body))]
    )


@spec(
    "25-cmake-ninja.log",
    "docs:cmake",
    "cmake",
    "compilation",
    [
        "https://cmake.org/cmake/help/latest/manual/cmake.1.html",
        "https://gcc.gnu.org/onlinedocs/gcc/Diagnostic-Message-Formatting-Options.html",
    ],
    "clock",
)
def cmake_ninja(rng: random.Random) -> list[str]:
    body = [
        "-- The CXX compiler identification is GNU 12.2.0",
        "-- Configuring done (0.8s)",
        "-- Generating done (0.1s)",
        "-- Build files have been written to: /var/lib/jenkins/workspace/app_main/build",
        *[f"[{i}/58] Building CXX object src/CMakeFiles/engine.dir/part{i}.cpp.o" for i in range(1, 23)],
        "FAILED: src/CMakeFiles/engine.dir/codec.cpp.o",
        "/usr/bin/c++ -I/src/include -O2 -std=c++20 -MD -MT src/CMakeFiles/engine.dir/codec.cpp.o -c /src/src/codec.cpp",
        *g(
            [
                "/src/src/codec.cpp: In member function 'void Codec::flush()':",
                "/src/src/codec.cpp:112:18: error: 'buffer_' was not declared in this scope; did you mean 'buffers_'?",
                "  112 |     write(fd_, buffer_.data(), buffer_.size());",
                "      |                ^~~~~~~",
                "      |                buffers_",
            ]
        ),
        "ninja: build stopped: subcommand failed.",
    ]
    return _declarative(
        rng,
        "acme/codec",
        [*stage("Build", sh("cmake -S . -B build -G Ninja && cmake --build build", body))],
        junit=False,
    )


@spec(
    "26-parallel-branches.log",
    "jenkins-infra/evergreen",
    "pytest",
    "test",
    [
        "https://github.com/jenkins-infra/evergreen/pull/244 (parallel branch output and 'Failed in branch')",
        PYTEST_DOC,
    ],
    notes="Older Pipeline output: each branch's lines carry a [branch] prefix; one branch fails, the other passes.",
)
def parallel(rng: random.Random) -> list[str]:
    linux = tagged(
        "linux",
        [
            *stage(
                "linux",
                sh(
                    "tox -e py311",
                    [
                        "py311: commands[0]> pytest",
                        *pytest_progress(rng, ["test_a.py", "test_b.py"]),
                        "============ 120 passed in 9.10s ============",
                        "  py311: OK (14.20=setup[3.10]+cmd[11.10] seconds)",
                        "  congratulations :) (14.31 seconds)",
                    ],
                ),
            )
        ],
    )
    windows = tagged(
        "windows",
        [
            *stage(
                "windows",
                sh(
                    "tox -e py311",
                    [
                        "py311: commands[0]> pytest",
                        *pytest_progress(rng, ["test_a.py", "test_paths.py"], fail_in="test_paths.py"),
                        "=================================== FAILURES ===================================",
                        *g(
                            [
                                "_____________________________ test_normalize_drive _____________________________",
                                "",
                                "    def test_normalize_drive():",
                                ">       assert normalize('c:/Temp') == 'C:\\\\Temp'",
                                "E       AssertionError: assert 'c:\\\\Temp' == 'C:\\\\Temp'",
                                "",
                                "tests\\test_paths.py:19: AssertionError",
                            ]
                        ),
                        "=========================== short test summary info ============================",
                        "FAILED tests/test_paths.py::test_normalize_drive - AssertionError: assert 'c:\\\\Temp' == 'C:\\\\Temp'",
                        "============ 1 failed, 119 passed in 11.52s ============",
                        "py311: exit 1 (11.60 seconds) C:\\ws> pytest pid=4312",
                        "  py311: FAIL code 1 (15.02=setup[3.42]+cmd[11.60] seconds)",
                        "  evaluation failed :( (15.11 seconds)",
                    ],
                    step="bat",
                ),
            ),
            "Failed in branch windows",
        ],
    )
    par = [
        "[Pipeline] parallel",
        "[Pipeline] { (Branch: linux)",
        "[Pipeline] { (Branch: windows)",
        *linux,
        *windows,
    ]
    return [
        *head(rng, "acme/pathlib2"),
        *stage("Tests", par),
        *post_actions(rng),
        *tail("FAILURE", "ERROR: script returned exit code 1"),
    ]
