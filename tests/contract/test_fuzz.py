"""A short, seeded contract fuzz in every test run (``make fuzz`` / ``bench/fuzz_api.py`` runs 10,000+ cases):
schemathesis generates valid and invalid requests for every operation of the served OpenAPI document, and
every answer must be documented, match its schema, never be a 5xx, and each authenticated operation must
refuse a missing or wrong token (``tests/contract/fuzzing.py``)."""

from __future__ import annotations

from tests.contract.fuzzing import fuzz
from tests.integration.api.conftest import STATIC_TOKEN, LiveServer

#: Cases per operation and mode: about 500 requests, under a minute here.
EXAMPLES = 10
SEED = 20261204


def test_every_operation_keeps_its_contract_under_generated_requests(live_server: LiveServer) -> None:
    live_server.app.config["SSE_MAX_SECONDS"] = 1.0  # a stream of a task that never finishes ends soon
    report = fuzz(live_server.url, STATIC_TOKEN, examples=EXAMPLES, seed=SEED)

    spec = live_server.app.test_client().get("/api/v1/openapi.json").get_json()
    documented = {f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item if m != "parameters"}
    assert set(report.by_operation) == documented, "every operation was fuzzed"
    secured = {
        f"{m.upper()} {p}"
        for p, item in spec["paths"].items()
        for m, op in item.items()
        if m != "parameters" and op.get("security") != []
    }
    assert report.auth_enforced == secured, "every operation that declares auth refused requests without it"
    assert report.requests >= len(documented) * 2
    assert report.failures == {}, report.summary()
    assert 500 not in report.statuses


def test_the_long_run_adds_up_every_round() -> None:
    # bench/fuzz_api.py sums its rounds; the auth probes and the operations that refused them were left out.
    from bench.fuzz_api import _add
    from tests.contract.fuzzing import FuzzReport

    total = FuzzReport()
    for label in ("GET /a", "POST /b"):
        _add(
            total,
            FuzzReport(requests=10, auth_probes=6, auth_enforced={label}, server_errors={label: "curl"}),
        )
    assert (total.requests, total.auth_probes) == (20, 12)
    assert total.auth_enforced == {"GET /a", "POST /b"}
    assert set(total.server_errors) == {"GET /a", "POST /b"}
