"""Contract fuzzing with schemathesis: requests generated from the served OpenAPI document, every answer checked
against it. Shared by the seeded run in the test suite (``tests/contract/test_fuzz.py``) and the long run
(``bench/fuzz_api.py``, ``make fuzz``).

Per operation, hypothesis draws cases in schemathesis' two modes: *positive* (valid by the document) and
*negative* (breaking it somewhere: a wrong type, a missing field, a value out of bounds). Each case is sent over
a real socket with a token holding every scope, and its answer must pass the checks below. schemathesis'
``ignored_auth`` re-sends a request without a token and with a wrong one only when the first answer was a
2xx, which random ids seldom get; so the first cases of every operation that declares bearer auth are also
re-sent without a token and with a wrong one here, whatever they answered: both must be 401. Failures are
collected (not raised), so one run reports all of them.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

#: What every answer must satisfy (``negative_data_rejection``: a request that breaks the document gets a 4xx).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    negative_data_rejection,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
#: Cases per operation re-sent without a token and with a wrong one.
AUTH_PROBES = 3


@dataclass
class FuzzReport:
    """What a run sent and found."""

    requests: int = 0
    seconds: float = 0.0
    by_operation: Counter[str] = field(default_factory=Counter)
    seconds_by_operation: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    #: "<operation> <check>: <message>" -> a curl command that reproduces it
    failures: dict[str, str] = field(default_factory=dict)
    #: operations whose refusal of a missing and a wrong token was seen
    auth_enforced: set[str] = field(default_factory=set)
    auth_probes: int = 0
    #: "<operation> answered <status>: <body>" -> a curl command that reproduces it (every 5xx)
    server_errors: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"{self.requests} requests over {len(self.by_operation)} operations in {self.seconds:.0f} s; "
            f"statuses {dict(sorted(self.statuses.items()))}; {len(self.failures)} distinct failures; "
            f"{len(self.auth_enforced)} operations refused a missing and a wrong token "
            f"({self.auth_probes} extra requests)"
        ]
        lines.append(f"{sum(n for s, n in self.statuses.items() if s >= 500)} server errors:")
        lines += [f"  5xx {what}\n       {curl}" for what, curl in sorted(self.server_errors.items())]
        lines += [f"  FAIL {what}\n       {curl}" for what, curl in sorted(self.failures.items())]
        return "\n".join(lines)


def _failures(exc: BaseException) -> list[BaseException]:
    nested = getattr(exc, "exceptions", None)
    return [f for e in nested for f in _failures(e)] if nested else [exc]


def fuzz(
    base_url: str,
    token: str,
    *,
    examples: int,
    seed: int = 0,
    modes: Sequence[GenerationMode] = MODES,
    operations: Sequence[str] = (),
) -> FuzzReport:
    """Fuzz every operation of the API at ``base_url`` (its document at ``/api/v1/openapi.json``), ``examples``
    cases per operation and mode, reproducibly for a ``seed``; ``operations`` limits it to those labels
    (``"GET /api/v1/tasks/{task_id}"``)."""
    session = requests.Session()
    # The document as served; loaded from its data, not its URL: schemathesis leaves out the operation a
    # schema was fetched from, and that one is part of the contract too.
    served = session.get(f"{base_url}/api/v1/openapi.json", timeout=30)
    served.raise_for_status()
    schema = schemathesis.openapi.from_dict(served.json())
    report = FuzzReport()
    auth = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operations and operation.label not in operations:
            continue
        for mode in modes:
            t0 = time.perf_counter()
            _fuzz_operation(operation, mode, base_url, session, auth, examples, seed, report)
            report.seconds_by_operation[operation.label] += time.perf_counter() - t0
    report.seconds = time.perf_counter() - started
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    session: requests.Session,
    auth: dict[str, str],
    examples: int,
    seed: int,
    report: FuzzReport,
) -> None:
    secured = operation.definition.raw.get("security", [{}]) != []
    probed = [0]

    # Only generation: no shrinking (failures are collected, not raised) and no example database, so a seed
    # gives the same requests every run.
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @hypothesis.seed(seed)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, headers=auth, timeout=30)
        report.requests += 1
        report.by_operation[operation.label] += 1
        report.statuses[response.status_code] += 1
        if response.status_code >= 500:  # each one with what the server said and the request that caused it
            body = " ".join(response.text.split())[:300]
            key = f"{operation.label} [{mode.value}] answered {response.status_code}: {body}"
            report.server_errors.setdefault(key, case.as_curl_command(headers=auth))
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except (Exception, FailureGroup) as exc:  # failed checks (a BaseExceptionGroup): record each, go on
            for failure in _failures(exc):
                title = getattr(failure, "title", type(failure).__name__)
                message = " ".join(str(getattr(failure, "message", failure)).split())[:300]
                key = f"{operation.label} [{mode.value}] {title}: {message}"
                report.failures.setdefault(key, case.as_curl_command(headers=auth))
        if secured and mode is GenerationMode.POSITIVE and probed[0] < AUTH_PROBES:
            probed[0] += 1
            _probe_auth(case, operation.label, base_url, session, report)

    # Unsatisfiable: nothing to break (no negative case of an operation without parameters or body).
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()


def _probe_auth(case: Any, label: str, base_url: str, session: requests.Session, report: FuzzReport) -> None:
    """The case without a token and with a wrong one: an operation that declares bearer auth answers 401."""
    refused = True
    for name, headers in (("no token", {}), ("a wrong token", {"Authorization": "Bearer not-a-token"})):
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        report.auth_probes += 1
        if response.status_code != 401:
            refused = False
            key = f"{label} ignored auth: answered {response.status_code} to {name}"
            report.failures.setdefault(key, case.as_curl_command(headers=headers))
    if refused:
        report.auth_enforced.add(label)
