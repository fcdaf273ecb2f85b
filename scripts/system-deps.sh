#!/usr/bin/env bash
# Install the system packages the tests need, when missing (Debian/Ubuntu): redis-server for the real Redis,
# a JRE + groovy + junit4 for the shared library's tests and the Jenkinsfile compile checks, Debian's chromium +
# chromium-driver for the browser test of the analysis page (driven by selenium, no browser download).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The fault tests start a RabbitMQ node of their own (tests/services.py) on free ports; the service the package
# itself may start is not used.
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
# Debian's groovy launcher runs /usr/lib/jvm/default-java (from default-jre-headless), even when another
# java is on the PATH.
command -v java >/dev/null 2>&1 && [ -e /usr/lib/jvm/default-java ] || need+=(default-jre-headless)
command -v groovy >/dev/null 2>&1 || need+=(groovy)
[ -f /usr/share/java/junit4.jar ] || need+=(junit4)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# promtool (from Debian's prometheus package; its daemon is not started here) checks and unit-tests the alert rules;
# docker-compose (the Python one, no engine needed) checks docker-compose.yml for `make compose-config`.
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
[ "${#need[@]}" -eq 0 ] && exit 0
echo "installing system packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
