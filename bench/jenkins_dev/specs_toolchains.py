"""Dev-set logs for toolchains the first 52 logs did not cover (PowerShell/Pester, CMake's find_package,
ScalaTest under sbt, xcodebuild with xcpretty, GHC under stack, Elixir's mix, a Ruby tool reading YAML), each in
the format the tool's documentation shows. ``»`` marks the labelled failure lines (see README.md)."""

from __future__ import annotations

import random

from bench.jenkins_dev.jenkins_layer import sh, stage
from bench.jenkins_dev.specs_tools import _declarative, spec
from bench.jenkins_dev.tools import g


@spec(
    "53-pester.log",
    "docs:pester",
    "powershell",
    "test",
    [
        "https://pester.dev/docs/usage/output (the [+]/[-] lines, 'Expected ..., but got ...', 'at <ScriptBlock>')",
        "https://plugins.jenkins.io/powershell/",
    ],
    "clock",
)
def pester(rng: random.Random) -> list[str]:
    passed = [f"  [+] returns the {word} price {rng.randint(3, 40)}ms" for word in ("list", "sale", "member")]
    body = [
        "Pester v5.5.0",
        "",
        "Starting discovery in 3 files.",
        f"Discovery found 24 tests in {rng.randint(80, 200)}ms.",
        "Running tests.",
        "Describing Get-Price",
        *passed,
        "Describing Add-CartItem",
        "  [+] adds a new item 12ms",
        *g(
            [
                "  [-] merges the same item into one line 31ms (28ms|3ms)",
                "   Expected 1, but got 2.",
                "   at $cart.Lines.Count | Should -Be 1, C:\\ws\\shop_main\\tests\\Cart.Tests.ps1:18",
            ]
        ),
        "   at <ScriptBlock>, C:\\ws\\shop_main\\tests\\Cart.Tests.ps1:18",
        "  [+] rejects a negative quantity 9ms",
        "Describing Remove-CartItem",
        *[f"  [+] removes line {n} {rng.randint(3, 20)}ms" for n in range(1, 6)],
        f"Tests completed in {rng.randint(2, 5)}.{rng.randint(10, 99)}s",
        "Tests Passed: 23, Failed: 1, Skipped: 0 NotRun: 0",
    ]
    return _declarative(
        rng,
        "acme/shop-ps",
        [*stage("Test", ["[Pipeline] powershell", *body])],
        agent="windows-2022-1",
    )


@spec(
    "54-cmake-find-package.log",
    "docs:cmake-find-package",
    "cmake",
    "configuration",
    [
        "https://cmake.org/cmake/help/latest/module/FindPackageHandleStandardArgs.html ('Could NOT find <Package>"
        " (missing: ...)')",
        "https://cmake.org/cmake/help/latest/command/message.html ('CMake Error at <file>:<line> (message):')",
    ],
    "iso",
)
def cmake_find_package(rng: random.Random) -> list[str]:
    body = [
        "-- The C compiler identification is GNU 12.2.0",
        "-- The CXX compiler identification is GNU 12.2.0",
        "-- Detecting C compiler ABI info",
        "-- Detecting C compiler ABI info - done",
        "-- Check for working C compiler: /usr/bin/cc - skipped",
        "-- Detecting CXX compile features - done",
        "-- Found Threads: TRUE",
        *g(
            [
                "CMake Error at /usr/share/cmake-3.25/Modules/FindPackageHandleStandardArgs.cmake:230 (message):",
                "  Could NOT find Protobuf (missing: Protobuf_LIBRARIES Protobuf_INCLUDE_DIR)",
            ]
        ),
        "Call Stack (most recent call first):",
        "  /usr/share/cmake-3.25/Modules/FindPackageHandleStandardArgs.cmake:600 (_FPHSA_FAILURE_MESSAGE)",
        "  /usr/share/cmake-3.25/Modules/FindProtobuf.cmake:650 (FIND_PACKAGE_HANDLE_STANDARD_ARGS)",
        *g(["  CMakeLists.txt:14 (find_package)"]),
        "",
        "",
        "-- Configuring incomplete, errors occurred!",
        'See also "/var/lib/jenkins/workspace/rpc_main/build/CMakeFiles/CMakeOutput.log".',
    ]
    return _declarative(
        rng,
        "acme/rpc",
        [*stage("Configure", sh("cmake -S . -B build -DCMAKE_BUILD_TYPE=Release", body))],
        junit=False,
    )


@spec(
    "55-sbt-scalatest.log",
    "docs:scalatest",
    "sbt",
    "test",
    [
        "https://www.scalatest.org/user_guide/using_the_runner (reporter output: '*** FAILED ***', the summary)",
        "https://www.scala-sbt.org/1.x/docs/Testing.html",
    ],
)
def sbt_scalatest(rng: random.Random) -> list[str]:
    body = [
        "[info] welcome to sbt 1.9.7 (Eclipse Adoptium Java 17.0.9)",
        "[info] loading project definition from /var/lib/jenkins/workspace/ledger_main/project",
        "[info] compiling 14 Scala sources to /var/lib/jenkins/workspace/ledger_main/target/scala-2.13/classes ...",
        "[info] compiling 6 Scala sources to /var/lib/jenkins/workspace/ledger_main/target/scala-2.13/test-classes ...",
        "[info] AccountSpec:",
        "[info] An Account",
        "[info] - should start empty",
        "[info] - should accept a deposit",
        "[info] LedgerSpec:",
        "[info] A Ledger",
        "[info] - should record an entry",
        *g(
            [
                "[info] - should balance after a refund *** FAILED ***",
                "[info]   500 did not equal 0 (LedgerSpec.scala:41)",
            ]
        ),
        "[info] - should reject a negative amount",
        f"[info] Run completed in {rng.randint(1, 9)} seconds, {rng.randint(100, 999)} milliseconds.",
        "[info] Total number of tests run: 5",
        "[info] Suites: completed 2, aborted 0",
        "[info] Tests: succeeded 4, failed 1, canceled 0, ignored 0, pending 0",
        "[info] *** 1 TEST FAILED ***",
        "[error] Failed tests:",
        "[error] \tcom.acme.ledger.LedgerSpec",
        "[error] (Test / test) sbt.TestsFailedException: Tests unsuccessful",
        f"[error] Total time: {rng.randint(20, 90)} s, completed May 2, 2024, 10:16:44 AM",
    ]
    return _declarative(rng, "acme/ledger", [*stage("Test", sh("sbt -batch test", body))])


@spec(
    "56-xcodebuild-xcpretty.log",
    "docs:xcpretty",
    "swift",
    "test",
    [
        "https://github.com/xcpretty/xcpretty (the ✓/✗ lines and the failure summary: test, message, location)",
        'https://developer.apple.com/documentation/xctest (XCTAssertEqual failed: ("a") is not equal to ("b"))',
    ],
    "clock",
)
def xcodebuild(rng: random.Random) -> list[str]:
    body = [
        "▸ Compiling Cart.swift",
        "▸ Compiling CartTests.swift",
        "▸ Linking ShopTests",
        "Test Suite All tests started",
        "CartTests",
        f"    ✓ testAddsItem (0.00{rng.randint(1, 9)} seconds)",
        '    ✗ testTotalWithDiscount, XCTAssertEqual failed: ("90.0") is not equal to ("81.0")',
        f"    ✓ testRemovesItem (0.00{rng.randint(1, 9)} seconds)",
        "PriceTests",
        *[f"    ✓ testPrice{n} (0.00{rng.randint(1, 9)} seconds)" for n in range(1, 7)],
        "",
        "",
        "CartTests",
        *g(
            [
                '  testTotalWithDiscount, XCTAssertEqual failed: ("90.0") is not equal to ("81.0")',
                "  /Users/jenkins/workspace/shop_main/Tests/ShopTests/CartTests.swift:27",
            ]
        ),
        "  ```",
        "          cart.apply(discount: .percent(10))",
        "          XCTAssertEqual(cart.total, 81.0)",
        "      }",
        "  ```",
        "",
        "",
        "\t Executed 9 tests, with 1 failure (0 unexpected) in 0.041 (0.052) seconds",
        "",
        "** TEST FAILED **",
    ]
    return _declarative(
        rng,
        "acme/shop-ios",
        [
            *stage(
                "Test",
                sh(
                    "set -o pipefail && xcodebuild test -scheme Shop -destination 'platform=macOS' | xcpretty",
                    body,
                ),
            )
        ],
        agent="mac-mini-3",
        error="ERROR: script returned exit code 65",
    )


@spec(
    "57-ghc-stack.log",
    "docs:ghc",
    "haskell",
    "compilation",
    [
        "https://downloads.haskell.org/ghc/latest/docs/users_guide/using.html (file:line:col: error: and the"
        " caret excerpt)",
        "https://docs.haskellstack.org/en/stable/build_command/",
    ],
)
def ghc(rng: random.Random) -> list[str]:
    body = [
        "shop> configure (lib)",
        "Configuring shop-0.3.0...",
        "shop> build (lib)",
        "Preprocessing library for shop-0.3.0..",
        "Building library for shop-0.3.0..",
        "[1 of 4] Compiling Shop.Types",
        "[2 of 4] Compiling Shop.Price",
        "[3 of 4] Compiling Shop.Cart",
        "",
        *g(
            [
                "src/Shop/Cart.hs:21:13: error:",
                "    • Couldn't match expected type ‘Int’ with actual type ‘Double’",
                "    • In the first argument of ‘total’, namely ‘price’",
            ]
        ),
        "      In the expression: total price",
        "   |",
        "21 |   let t = total price",
        "   |             ^^^^^",
        "",
        "Error: [S-7282]",
        "       Stack failed to execute the build plan.",
    ]
    return _declarative(rng, "acme/shop-hs", [*stage("Build", sh("stack build --fast", body))], junit=False)


@spec(
    "58-elixir-compile.log",
    "docs:elixir",
    "elixir",
    "compilation",
    [
        "https://hexdocs.pm/elixir/CompileError.html ('** (CompileError) file:line: message')",
        "https://hexdocs.pm/mix/Mix.Tasks.Compile.html",
    ],
    "iso",
)
def elixir_compile(rng: random.Random) -> list[str]:
    body = [
        "Resolving Hex dependencies...",
        "All dependencies are up to date",
        "==> jason",
        "Compiling 10 files (.ex)",
        "Generated jason app",
        "==> shop",
        "Compiling 12 files (.ex)",
        "",
        "== Compilation error in file lib/shop/cart.ex ==",
        *g(
            [
                "** (CompileError) lib/shop/cart.ex:18: undefined function totl/1 (expected Shop.Cart to define"
                " such a function or for it to be imported, but none are available)",
            ]
        ),
        "",
        "    (elixir 1.15.7) lib/kernel/parallel_compiler.ex:377: anonymous fn/5 in"
        " Kernel.ParallelCompiler.spawn_workers/8",
    ]
    return _declarative(
        rng, "acme/shop-ex", [*stage("Build", sh("mix compile --warnings-as-errors", body))], junit=False
    )


@spec(
    "59-jekyll-yaml.log",
    "docs:psych",
    "ruby",
    "configuration",
    [
        "https://docs.ruby-lang.org/en/master/Psych/SyntaxError.html ('(file): <problem> while parsing <context> at"
        " line L column C')",
        "https://jekyllrb.com/docs/configuration/",
    ],
)
def jekyll_yaml(rng: random.Random) -> list[str]:
    body = [
        f"Fetching gem metadata from https://rubygems.org/.{'.' * rng.randint(3, 9)}",
        "Using bundler 2.5.9",
        "Using jekyll 4.3.3",
        "Bundle complete! 4 Gemfile dependencies, 31 gems now installed.",
        "+ bundle exec jekyll build",
        *g(
            [
                "jekyll 4.3.3 | Error:  (/var/lib/jenkins/workspace/site_main/_config.yml): did not find expected key"
                " while parsing a block mapping at line 7 column 1",
            ]
        ),
        "/usr/lib/ruby/3.1.0/psych.rb:455:in `parse': (/var/lib/jenkins/workspace/site_main/_config.yml): did not"
        " find expected key while parsing a block mapping at line 7 column 1 (Psych::SyntaxError)",
        "\tfrom /usr/lib/ruby/3.1.0/psych.rb:455:in `parse_stream'",
        "\tfrom /usr/lib/ruby/3.1.0/psych.rb:399:in `parse'",
    ]
    return _declarative(
        rng,
        "acme/site",
        [*stage("Site", sh("bundle install && bundle exec jekyll build", body))],
        junit=False,
    )


@spec(
    "60-php-run-tests.log",
    "docs:php-run-tests",
    "php",
    "test",
    [
        "https://qa.php.net/running-tests.php and https://qa.php.net/phpt_details.php (run-tests.php: PASS/FAIL/SKIP"
        " lines ending in [file.phpt], the --show-diff section, the FAILED TEST SUMMARY)",
        "https://www.php.net/manual/en/install.pecl.phpize.php (phpize; make test)",
    ],
)
def php_run_tests(rng: random.Random) -> list[str]:
    passed = [
        f"PASS Check {name} [tests/{n:03d}.phpt]"
        for n, name in enumerate(("for presence", "basic encode", "basic decode", "options", "streams"), 1)
    ]
    body = [
        "Configuring for:",
        "PHP Api Version:         20230831",
        "Zend Module Api No:      20230831",
        "Build complete.",
        "Don't forget to run 'make test'.",
        "",
        "=====================================================================",
        "PHP         : /usr/local/bin/php",
        "PHP_OS      : Linux - Linux agent-linux-2 6.1.0 #1 SMP x86_64",
        "=====================================================================",
        "Running selected tests.",
        *passed,
        "SKIP Check zlib streams [tests/006.phpt] reason: zlib extension not loaded",
        *[f"PASS Check case {n} [tests/{n:03d}.phpt]" for n in range(7, 7 + rng.randint(4, 9))],
        "========DIFF========",
        *g(
            [
                '003+ string(5) "hello"',
                '003- string(6) "hello!"',
            ]
        ),
        "========DONE========",
        *g(["FAIL Check append mode [tests/020.phpt] "]),
        "PASS Check truncate [tests/021.phpt]",
        "=====================================================================",
        "Number of tests :   22                21",
        "Tests skipped   :    1 (  4.5%) --------",
        "Tests failed    :    1 (  4.5%) (  4.8%)",
        "Tests passed    :   20 ( 90.9%) ( 95.2%)",
        "---------------------------------------------------------------------",
        "Time taken      :    2 seconds",
        "=====================================================================",
        "",
        "=====================================================================",
        "FAILED TEST SUMMARY",
        "---------------------------------------------------------------------",
        "Check append mode [tests/020.phpt]",
        "=====================================================================",
        "make: *** [Makefile:203: test] Error 1",
    ]
    return _declarative(
        rng,
        "acme/php-ext",
        [*stage("Test", sh("phpize && ./configure && make && make test TESTS='--show-diff tests/'", body))],
        junit=False,
        error="ERROR: script returned exit code 2",
    )


@spec(
    "61-tool-not-on-agent.log",
    "docs:dash",
    "shell",
    "configuration",
    [
        "https://manpages.debian.org/bookworm/dash/dash.1.en.html (dash, /bin/sh on Debian agents: 'script: LINE:"
        " name: not found', exit status 127)",
        "https://github.com/jenkinsci/durable-task-plugin (the sh step runs script.sh with 'sh -xe')",
    ],
    "iso",
)
def tool_not_on_agent(rng: random.Random) -> list[str]:
    body = [
        "+ docker build -t acme/catalog:1.4.2 .",
        *g(
            [
                "/var/lib/jenkins/workspace/catalog_main@tmp/durable-5c1e7a2b/script.sh.copy: 1: docker: not found"
            ]
        ),
    ]
    return _declarative(
        rng,
        "acme/catalog",
        [*stage("Image", ["[Pipeline] sh", *body])],
        junit=False,
        error="ERROR: script returned exit code 127",
    )
