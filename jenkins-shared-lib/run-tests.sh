#!/bin/sh
# Runs the shared library's Groovy unit tests with Debian's groovy + JUnit 4 (apt: groovy junit4
# default-jre-headless). Exits non-zero on any failure; the last line is "N passed, N failed".
# Usage: jenkins-shared-lib/run-tests.sh [test name filter]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
exec groovy -cp "src:test/support" test/RunTests.groovy "$here" "$@"
