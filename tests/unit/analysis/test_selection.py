"""How excerpt blocks are delimited and chosen: general log structure, not particular logs."""

from __future__ import annotations

from worker.analysis import Analysis, analyze_stream


def _analyze(text: str) -> Analysis:
    return analyze_stream([text.encode()])


def test_next_item_of_a_test_list_ends_the_block() -> None:
    log = "\n".join(
        [
            "$ npm test",
            "  window namespace tests",
            "    ✓ editor, onDidChangeTextEditorViewColumn (152ms)",
            "    ✗ testThatRequestThrows, XCTAssertTrue failed",
            "        expected true",
            "    ✓ showInputBox - undefined on cancel",
            "    ✓ showInputBox - cancel early",
            "    ✓ showInputBox - '' on Enter",
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (4, 5)  # the failure and its indented detail, not the passes


def test_xcodebuild_verdict_ranks_below_the_errors_it_echoes() -> None:
    log = "\n".join(
        [
            "$ xcodebuild -scheme App build",
            "CompileSwift normal x86_64 /src/App/Encoding.swift",
            "❌  /src/App/Encoding.swift:269:57: thrown expression type 'Error' does not conform to 'Error'",
            *[f"CompileSwift normal x86_64 /src/App/File{i}.swift" for i in range(10)],
            "** BUILD FAILED **",
            "",
            'The command "xcodebuild -scheme App build" exited with 65.',
            "",
        ]
    )
    analysis = _analyze(log)
    assert analysis.excerpt[0].start_line == 3
    assert analysis.category == "compilation"


def test_failed_step_tail_does_not_take_the_place_of_the_error_inside_it() -> None:
    log = "\n".join(
        [
            "$ docker run -v $PWD:/mnt builder:latest -c make",
            *[f"{i:012x}: Pull complete" for i in range(18)],
            "Status: Downloaded newer image for builder:latest",
            'docker: Error response from daemon: oci runtime error: exec: "-c": executable file not found in $PATH.',
            'The command "docker run -v $PWD:/mnt builder:latest -c make" exited with 127.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (21, 21)


def test_neutral_tag_output_ends_where_the_next_list_item_starts() -> None:
    log = "\n".join(
        [
            "[info] ConcurrencyEndToEndTest:",
            "[info] - Requests exceeding limit should increase dropped_request count",
            "[info] - Should not increase dropped_request count *** FAILED ***",
            "[info]   java.lang.AssertionError: expected 10 (ConcurrencyEndToEndTest.scala:87)",
            "[info] - Service application retries should not increase dropped_request count",
            "[info] - Service application success should not increase dropped_request count",
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (3, 4)


def test_reruns_of_the_same_failure_are_counted_and_leave_room_for_a_different_error() -> None:
    failure = [
        "_____________________ test_http_redirects_to_https _____________________",
        "    def test_http_redirects_to_https(docker_compose, nginxproxy):",
        ">       assert len(r.history) > 0",
        "E       AssertionError: assert 0 > 0",
        "tests/test_ssl/test_redirect.py:12: AssertionError",
    ]
    filler = [f"collected line {i}" for i in range(80)]
    log = "\n".join(
        [
            "$ pytest tests",
            *failure,
            *filler,
            "$ pytest tests  # rerun",
            *failure,
            *filler,
            "ERROR: Couldn't connect to Docker daemon at http+docker://localhost - is it running?",
            *filler,
            "$ pytest tests  # second rerun",
            *failure,
            "",
        ]
    )
    analysis = analyze_stream([log.encode()], max_blocks=3)
    texts = [block.text for block in analysis.excerpt]
    # The reruns are counted on the first report of the failure, which leaves room for the other error.
    reports = [block for block in analysis.excerpt if "assert 0 > 0" in block.text]
    assert len(reports) == 1
    assert reports[0].count == 3
    assert any("Docker daemon" in text for text in texts)


def test_a_message_ending_with_a_colon_keeps_the_paragraph_under_it() -> None:
    log = "\n".join(
        [
            "$ cmake ..",
            "-- Could NOT find Doxygen (missing:  DOXYGEN_EXECUTABLE)",
            "CMake Error at /usr/share/cmake-3.2/Modules/FindPackageHandleStandardArgs.cmake:138 (message):",
            "  Could NOT find Halide (missing: HALIDE_ROOT_DIR HALIDE_LIBRARIES",
            "  HALIDE_INCLUDE_DIR)",
            "Call Stack (most recent call first):",
            "  cmake/Modules/FindHalide.cmake:38 (find_package_handle_standard_args)",
            "  CMakeLists.txt:46 (include)",
            "",
            "",
            "-- Configuring incomplete, errors occurred!",
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert block.start_line <= 3 and block.end_line == 8  # the whole call stack, not the blank lines after it


def test_a_failed_gradle_task_after_a_runner_timestamp_is_not_a_failed_test() -> None:
    log = "\n".join(
        [
            "2024-05-01T10:00:00.1000000Z > Task :module:actuator:compileJava",
            "2024-05-01T10:00:01.1000000Z > Task :module:actuator:checkFormatMain FAILED",
            "2024-05-01T10:00:01.2000000Z FAILURE: Build failed with an exception.",
            "2024-05-01T10:00:01.3000000Z * What went wrong:",
            "2024-05-01T10:00:01.4000000Z Execution failed for task ':module:actuator:checkFormatMain'.",
            "2024-05-01T10:00:01.5000000Z > Formatting violations found in the following files:",
            "2024-05-01T10:00:01.6000000Z ##[error]Process completed with exit code 1.",
            "",
        ]
    )
    analysis = _analyze(log)
    assert analysis.category == "lint"
    assert "gradle.test-failure" not in [cause.id for cause in analysis.causes]


def test_the_final_report_beats_the_inline_mark_of_the_same_failure() -> None:
    log = "\n".join(
        [
            "$ npm test",
            "  window namespace tests",
            "    ✓ editor, onDidChangeTextEditorViewColumn (152ms)",
            "    1) issue #25801 - default column when opening a file",
            "    ✓ showInputBox - undefined on cancel",
            "",
            "  12 passing (3s)",
            "  1 failing",
            "",
            "  1) window namespace tests issue #25801 - default column when opening a file:",
            "      AssertionError: wanted fileName:/tmp/dkwnjrjb/viewColumn:1",
            "      at Object.<anonymous> (src/singlefolder-tests/window.test.ts:137:10)",
            "",
            'The command "npm test" exited with 1.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert block.start_line >= 8 and block.end_line == 12


DECLARATIVE_WITH_POST = """Started by user admin
[Pipeline] Start of Pipeline
[Pipeline] node
[Pipeline] {
[Pipeline] stage
[Pipeline] { (Package)
[Pipeline] dir
[Pipeline] {
[Pipeline] sh
+ make package
packaging apm-server for linux/amd64
temporary.rb:47:in `mkdir': No space left on device @ dir_s_mkdir - /tmp/package-tar-staging (Errno::ENOSPC)
	from temporary.rb:40:in `directory'
make: *** [package] Error 1
[Pipeline] }
[Pipeline] // dir
[Pipeline] }
[Pipeline] // stage
[Pipeline] stage
[Pipeline] { (Declarative: Post Actions)
[Pipeline] echo
[FAILURE]
[Pipeline] step
Sending e-mails to: team@example.com
[Pipeline] }
[Pipeline] // stage
[Pipeline] }
[Pipeline] // node
[Pipeline] End of Pipeline
ERROR: script returned exit code 2
Finished: FAILURE
"""


def test_declarative_post_actions_report_the_failure_they_do_not_cause_it() -> None:
    # The "ERROR: script returned exit code" after post { } repeats the error of the step that failed before
    # the post actions; their echo/mail output is not the cause.
    analysis = analyze_stream([DECLARATIVE_WITH_POST.encode()])
    top = analysis.excerpt[0]
    assert "No space left on device" in top.text
    assert "[FAILURE]" not in top.text and "Sending e-mails" not in top.text
    assert analysis.category == "infrastructure"


def _pytest_report(name: str, error: str, body_lines: int) -> list[str]:
    return [
        f"_____________________________ {name} _____________________________",
        "",
        f"    def {name}():",
        *[f"        step_{i} = compute({i})" for i in range(body_lines)],
        ">       assert result == expected",
        f"E       {error}",
        "",
        f"tests/test_app.py:{body_lines + 10}: AssertionError",
    ]


def test_a_pytest_failure_report_is_one_block_from_its_header_to_its_last_line() -> None:
    """However long the report (the test's code, locals, traceback), it is one message; it ends at the
    "file.py:NN: Error" line, so the next report and the captured output are not part of it."""
    log = "\n".join(
        [
            "$ pytest tests",
            "tests/test_app.py ..FF                                                  [100%]",
            "",
            "=================================== FAILURES ===================================",
            *_pytest_report("test_total", "AssertionError: assert 90 == 81", 70),
            *_pytest_report("test_tax", "AssertionError: assert 0 == 1", 3),
            "----------------------------- Captured stdout call -----------------------------",
            "debug output",
            "=========================== short test summary info ============================",
            "FAILED tests/test_app.py::test_total - AssertionError: assert 90 == 81",
            "FAILED tests/test_app.py::test_tax - AssertionError: assert 0 == 1",
            "========================= 2 failed, 2 passed in 0.12s ==========================",
            "",
            'The command "pytest tests" exited with 1.',
            "",
        ]
    )
    excerpt = _analyze(log).excerpt
    # Header (5), blank, def, 70 lines of code, ">", "E", blank, "tests/test_app.py:80: AssertionError" (81).
    assert (excerpt[0].start_line, excerpt[0].end_line) == (5, 81)
    assert excerpt[0].text.endswith("tests/test_app.py:80: AssertionError")
    # A long report shown after the first block keeps only its end, where the error is.
    later = [b for b in excerpt[1:] if "assert 0 == 1" in b.text]
    assert later and all(b.end_line - b.start_line + 1 <= 40 for b in excerpt[1:])


def test_a_pytest_report_without_its_last_line_does_not_swallow_what_follows() -> None:
    log = "\n".join(
        [
            "$ pytest tests",
            "_____________________________ test_total _____________________________",
            "E       AssertionError: assert 90 == 81",
            "tests/test_app.py:12: AssertionError",
            *[f"collected line {i}" for i in range(30)],
            "ERROR: Couldn't connect to Docker daemon at unix:///var/run/docker.sock - is it running?",
            "",
        ]
    )
    excerpt = _analyze(log).excerpt
    assert (excerpt[0].start_line, excerpt[0].end_line) == (2, 4)
    assert any("Docker daemon" in block.text and block.start_line == 35 for block in excerpt)


def test_a_short_summary_paragraph_after_the_error_is_not_part_of_its_block() -> None:
    """ "868 tests, 1 failures", "rake aborted!": a tool's verdict after a blank line says less than the error."""
    log = "\n".join(
        [
            "$ bundle exec rake test",
            "  1) Failure:",
            "TestSite#test_build [/build/test/test_site.rb:42]:",
            "Minitest::Assertion: Expected true to not be truthy.",
            "",
            "868 tests, 1555 assertions, 1 failures, 0 errors, 0 skips",
            "rake aborted!",
            "",
            'The command "bundle exec rake test" exited with 1.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (2, 4)


def test_echo_lines_at_the_end_of_a_block_are_dropped() -> None:
    log = "\n".join(
        [
            "$ npm test",
            "> app@1.0.0 test /build/app",
            "> linkinator _site",
            "",
            "ERROR: Detected 1 broken links. Scanned 1 links in 0.06 seconds.",
            "npm ERR! code ELIFECYCLE",
            "npm ERR! errno 1",
            "npm ERR! Exit status 1",
            "",
            'The command "npm test" exited with 1.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (5, 5)


def test_go_exit_status_echoes_are_not_part_of_the_block() -> None:
    log = "\n".join(
        [
            "$ go run build/ci.go lint",
            ">>> build/bin/gometalinter.v2 --vendor --tests --disable-all --enable=goimports ./...",
            "eth/config.go:1::warning: file is not goimported (goimports)",
            "eth/config.go:1::warning: file is not gofmted with -s (gofmt)",
            "util.go:45: exit status 1",
            "exit status 1",
            'The command "go run build/ci.go lint" exited with 1.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (2, 4)


def test_a_failed_step_without_known_errors_is_shown_from_the_failing_command_on() -> None:
    """With a shell trace (`set -x`), the failing command's own output starts at its "+ command" line."""
    log = "\n".join(
        [
            "$ ./ci.sh",
            "+ ./configure --prefix=/usr",
            *[f"checking for feature {i}... yes" for i in range(12)],
            "+ cabal update",
            "Downloading the latest package list from hackage.haskell.org",
            "cabal.exe: Couldn't establish HTTP connection. Possible cause: HTTP proxy",
            "server is down.",
            'The command "./ci.sh" exited with 1.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (15, 18)


def test_a_phpunit_report_ends_with_its_verdict() -> None:
    log = "\n".join(
        [
            "$ vendor/bin/phpunit",
            "PHPUnit 9.6.0 by Sebastian Bergmann and contributors.",
            "E..",
            "There was 1 error:",
            "",
            "1) App\\Tests\\FunctionalTest::testIntegration",
            "Symfony\\Component\\Process\\Exception\\ProcessTimedOutException: The process timed out.",
            "",
            "/src/vendor/symfony/process/Process.php:1193",
            "",
            "ERRORS!",
            "Tests: 3, Assertions: 2, Errors: 1.",
            "Running tests/Composer/Test/ApplicationTest.php tests",
            "PHPUnit 9.6.0 by Sebastian Bergmann and contributors.",
            "",
            "OK (3 tests, 6 assertions)",
            "",
            'The command "vendor/bin/phpunit" exited with 1.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (4, 11)


def test_the_actual_value_under_an_expected_one_continues_the_assertion() -> None:
    log = "\n".join(
        [
            "$ pwsh -File build.ps1",
            "[-] Running without params runs all files -> Expected and actual values differ",
            "Expected: '/tmp/dir/file1.Tests.ps1'",
            "Actual  : 'file1.Tests.ps1'",
            "at Verify-Equal, /src/Dependencies/Axiom/Verify-Equal.ps1:16",
            "Tests completed in 192ms",
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (2, 5)


def test_rustc_verdicts_after_the_errors_do_not_extend_the_block() -> None:
    log = "\n".join(
        [
            "$ cargo build",
            "   Compiling grep v0.2.4 (/project/grep)",
            "error[E0308]: mismatched types",
            "  --> src/main.rs:4:18",
            "   |",
            '4  |     let x: u32 = "a";',
            "   |                  ^^^ expected `u32`, found `&str`",
            "",
            "error: aborting due to previous error",
            "",
            "error: Could not compile `ripgrep`.",
            'The command "cargo build" exited with 101.',
            "",
        ]
    )
    analysis = _analyze(log)
    assert (analysis.excerpt[0].start_line, analysis.excerpt[0].end_line) == (3, 7)
    assert analysis.causes[0].id == "rustc.compile-error"


def test_evidence_in_indented_detail_starts_the_block_at_its_header() -> None:
    """A lint report names the file once, then lists its problems indented under it."""
    log = "\n".join(
        [
            "$ npm test",
            "> stylelint normalize.css",
            "",
            "normalize.css",
            ' 105:12  ✖  Expected newline after ","   selector-list-comma-newline-after',
            " 117:3   ✖  Unexpected empty line before declaration   declaration-empty-line-before",
            "",
            'The command "npm test" exited with 1.',
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (4, 6)


def test_every_failed_step_has_a_block_among_the_first_three() -> None:
    """Two steps failed: the second one's error is shown even though the first step has more evidence."""
    link_errors = [
        line
        for i in range(6)
        for line in (
            f"Checking ./_site/patterns/p{i}/index.html",
            f"  *  External link https://example.org/{i} failed: 404 Not Found (AssertionError)",
            *[f"Checking ./_site/patterns/p{i}/asset{j}.css" for j in range(5)],
        )
    ]
    log = "\n".join(
        [
            "$ bundle exec htmlproofer ./_site",
            *link_errors,
            "htmlproofer 3.0.6 | Error:  HTML-Proofer found 6 failures!",
            'The command "bundle exec htmlproofer ./_site" exited with 1.',
            "$ bundle exec s3_website push",
            "[fail] Failed to push the website to http://example.org (Access key cannot be null.)",
            'The command "bundle exec s3_website push" exited with 1.',
            "",
        ]
    )
    excerpt = analyze_stream([log.encode()], max_blocks=5).excerpt
    assert any("Failed to push the website" in block.text for block in excerpt[:3])
    assert "HTML-Proofer" in excerpt[0].text or "External link" in excerpt[0].text


def test_npm_trailer_naming_the_script_is_not_evidence() -> None:
    log = "\n".join(
        [
            "$ npm run css-lint",
            "✖ Variable $bd-primary is not being used!",
            "npm ERR! code ELIFECYCLE",
            "npm ERR! bootstrap@4.3.1 css-lint: `npm-run-all --continue-on-error --parallel css-lint-*`",
            "npm ERR! Exit status 1",
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (2, 2)


def test_pnpm_lifecycle_echo_does_not_outrank_the_failing_test() -> None:
    log = "\n".join(
        [
            "##[group]Run pnpm test",
            "FAIL test/config/get.ts (17.807 s)",
            "  ● pnpm config get reads npm options",
            "",
            "    expect(received).toBe(expected) // Object.is equality",
            '    Expected: "https://registry.example.com"',
            '    Received: "https://registry.example.com/"',
            "",
            *[f"PASS test/other{i}.ts" for i in range(50)],
            "[ELIFECYCLE] Command failed with exit code 1.",
            "[ELIFECYCLE] Command failed with exit code 1.",
            "##[error]Process completed with exit code 1.",
            "",
        ]
    )
    excerpt = _analyze(log).excerpt
    assert excerpt[0].start_line <= 3 <= excerpt[0].end_line
    assert not any("ELIFECYCLE" in block.text for block in excerpt)  # pnpm's echo of the exit, not evidence


def test_a_stack_trace_after_a_blank_line_is_not_taken_for_a_verdict() -> None:
    log = "\n".join(
        [
            "Checking out Revision 779ff9c0 (refs/remotes/origin/master)",
            "FATAL: Could not checkout 779ff9c0",
            'hudson.plugins.git.GitException: Command "git checkout -f 779ff9c0" returned status code 128:',
            "stderr: fatal: cannot create directory at 'src/test': No space left on device",
            "",
            "    at org.jenkinsci.plugins.gitclient.CliGitAPIImpl.launchCommandIn(CliGitAPIImpl.java:2671)",
            "    at org.jenkinsci.plugins.gitclient.CliGitAPIImpl.access$1100(CliGitAPIImpl.java:84)",
            "Finished: FAILURE",
            "",
        ]
    )
    block = _analyze(log).excerpt[0]
    assert (block.start_line, block.end_line) == (2, 7)
