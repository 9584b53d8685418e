"""R21: every operation of the API, fed generated and malformed input by schemathesis, answers
without a server error and as its OpenAPI document says. Bounded: a few valid and a few invalid
examples per operation, against the demonstration platform served as in production.

One test walks every operation (schemathesis's pytest plugin does not load under this pytest) and
reports each operation that failed, with the request that shows it."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from exchange.demo import DEMO_PASSWORD
from tests.servers import demo_server

EXAMPLES = 16  # per operation and mode
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def demo_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as env:
        # Generated sign-ins with wrong passwords come from this machine's address, as the
        # test's own do: the throttle (tested in test_sign_in) would stop the run halfway.
        env.setenv("EXCHANGE_SIGN_IN_FREE_FAILURES", "100000")
        with demo_server(folder, "--rows", "200") as (base, _):
            yield base


def bureau_headers(base: str) -> dict[str, str]:
    """A new token for each operation: one operation may revoke what another uses."""
    issued = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": "dsj.bureau_admin", "password": DEMO_PASSWORD, "name": "fuzz"},
    )
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def first_failure(
    operation: schemathesis.APIOperation, mode: GenerationMode, base: str
) -> str | None:
    headers = bureau_headers(base)

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report, do not shrink: keeps the run bounded
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (an operation without input)
        return None
    except (Exception, BaseExceptionGroup) as failure:
        return f"{operation.label} ({mode}): {str(failure)[:1500]}"
    return None


def test_r21_every_operation_answers_within_its_schema(demo_base: str) -> None:
    schema = schemathesis.openapi.from_url(f"{demo_base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := first_failure(operation, mode, demo_base)) is not None
    ]
    assert failures == [], "\n\n".join(failures)
