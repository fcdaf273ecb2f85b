"""Contract fuzzing of the whole API: at least ``--requests`` (10,000) schemathesis-generated requests.

Starts its own Redis and SecantusDB (MongoDB wire) on free loopback ports, serves the real app on a real socket,
and fuzzes every operation of its served OpenAPI document (``tests/contract/fuzzing.py``: positive and negative
cases, a token with every scope, plus each case re-sent without a token and with a wrong one) in rounds of
``--examples`` cases per operation and mode, each round with the next seed, until the count is reached.
Prints the count, the statuses and every distinct failure with a curl command; exits 1 if there is one.

    python -m bench.fuzz_api                      # make fuzz
    python -m bench.fuzz_api --requests 2000 --seed 7
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from api.app import create_app
from tests.contract.fuzzing import FuzzReport, fuzz
from tests.services import make_settings, start_redis, start_secantus
from worker.logging import configure_logging

TOKEN = "fuzz-token"  # a bare static token: every scope


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000, help="at least this many generated requests")
    parser.add_argument("--examples", type=int, default=60, help="cases per operation and mode in a round")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first round (then +1 per round)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lj-fuzz-"))
    redis, mongo = start_redis(workdir), start_secantus(workdir)
    try:
        settings = make_settings(
            REDIS_URL=redis.url, MONGO_URL=mongo.url, MONGO_DB="fuzz", API_TOKENS=TOKEN,
            RATE_LIMIT="100000000/minute", JENKINS_URL="https://ci.example.com",
            LOG_FORMAT="json", LOG_LEVEL="ERROR",
        )  # fmt: skip
        configure_logging(settings)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = create_app(settings)
        app.config["SSE_MAX_SECONDS"] = 1.0  # a stream of a task that never finishes ends soon
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, name="fuzz-api", daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_port}"

        total = FuzzReport()
        seed = args.seed
        while total.requests < args.requests:
            report = fuzz(base_url, TOKEN, examples=args.examples, seed=seed)
            _add(total, report)
            print(f"round seed={seed}: {report.requests} requests, {len(report.failures)} failures "
                  f"({total.requests} so far, {total.seconds:.0f} s)", flush=True)  # fmt: skip
            seed += 1
        spec = app.test_client().get("/api/v1/openapi.json").get_json()
        server.shutdown()
        print(total.summary())
        secured = {
            f"{method.upper()} {path}"
            for path, item in spec["paths"].items()
            for method, op in item.items()
            if method != "parameters" and op.get("security") != []
        }
        ignoring = sorted(secured - total.auth_enforced)
        print(
            f"auth: {len(secured & total.auth_enforced)} of the {len(secured)} operations that declare it refused "
            f"a missing and a wrong token ({total.auth_probes} probes); ignoring it: {ignoring or 'none'}"
        )
        print(f"seeds {args.seed}..{seed - 1}; {args.examples} cases per operation and mode per round")
        return 1 if total.failures or total.server_errors or ignoring else 0
    finally:
        redis.stop()
        mongo.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _add(total: FuzzReport, report: FuzzReport) -> None:
    total.requests += report.requests
    total.seconds += report.seconds
    total.by_operation.update(report.by_operation)
    total.seconds_by_operation.update(report.seconds_by_operation)
    total.statuses.update(report.statuses)
    total.auth_probes += report.auth_probes
    total.auth_enforced |= report.auth_enforced
    for what, curl in report.failures.items():
        total.failures.setdefault(what, curl)
    for what, curl in report.server_errors.items():
        total.server_errors.setdefault(what, curl)


if __name__ == "__main__":
    sys.exit(main())
