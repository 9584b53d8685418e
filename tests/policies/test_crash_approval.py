"""R14/R16: the API process killed (SIGKILL) at seeded moments while it approves requests and
serves reads: each request is afterwards either as filed or approved with its grant and its audit
record — never a grant without its record nor a record without its grant — an approval the
caller saw accepted survives, and the reviewer's retry completes what the kill cut off."""

import random
import threading
import time

import httpx
from sqlalchemy import func, select

from exchange.audit.models import AuditRecord
from exchange.audit.verify import verify_chain
from exchange.fault_points import KILL_AT
from policies import grants
from policies.models import AccessRequest
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.data import PURPOSE, publish_with_data, rows_url
from tests.scenarios.people import bearer
from tests.scenarios.requests import file
from tests.servers import kill_all, server_process


def _state(world: CatalogWorld, request_id: int) -> tuple[str, int, int]:
    """The request's status, its grants, and the audit records of its approval."""
    with world.platform.database.transaction() as session:
        status = session.get_one(AccessRequest, request_id).state
        granted = session.scalar(select(func.count()).where(grants.Grant.request_id == request_id))
        recorded = session.scalar(
            select(func.count()).where(
                AuditRecord.object_type == "access_request",
                AuditRecord.object_id == str(request_id),
                AuditRecord.action.endswith(".approve"),
            )
        )
    return status, granted or 0, recorded or 0


def test_r14_an_api_killed_while_approving_leaves_each_request_whole(
    world: CatalogWorld,
) -> None:
    code = publish_with_data(world)
    reviewer, consumer = bearer(world, "data_reviewer"), bearer(world, "consumer")
    seeded = random.Random(28)
    # First killed at the approval's own boundary (all written, nothing committed), then at
    # seeded moments while it approves and serves reads.
    for attempt, point in enumerate(("approval.decided", None, None)):
        request_id = file(world, code, ["legal_representative", "phone"])
        filed = _state(world, request_id)
        accepted: list[int] = []
        killing = {KILL_AT: point} if point else {}
        with server_process(world.platform, **killing) as (base, server):

            def approve(
                base: str = base, request_id: int = request_id, accepted: list[int] = accepted
            ) -> None:
                try:
                    answer = httpx.post(f"{base}/api/v1/access/requests/{request_id}/approve",
                                        json={}, headers=reviewer, timeout=30)  # fmt: skip
                    accepted.append(answer.status_code)
                except httpx.TransportError:
                    pass  # the process died under it

            def read(base: str = base) -> None:  # reads in flight when it dies
                for _ in range(20):
                    try:
                        httpx.get(f"{base}{rows_url(code)}", params=PURPOSE, headers=consumer,
                                  timeout=30)  # fmt: skip
                    except httpx.TransportError:
                        return

            workers = [threading.Thread(target=approve), threading.Thread(target=read)]
            for worker in workers:
                worker.start()
            if point is None:
                time.sleep(seeded.uniform(0.0, 0.4) if attempt > 1 else 0.0)
            else:  # the process serving the approval kills itself at the point
                workers[0].join(timeout=60)
            kill_all(server)
            server.wait(timeout=60)
            for worker in workers:
                worker.join()

        status, granted, recorded = _state(world, request_id)
        if point is not None:
            assert (status, granted, recorded) == filed  # as filed: nothing of the approval
        if accepted == [200]:
            assert (status, granted) == ("approved", 1)  # what the caller saw accepted survives
        assert (granted, recorded) in ((0, 0), (1, 1)), (status, granted, recorded)
        assert (status == "approved") == (granted == 1)

        if granted == 0:  # the reviewer tries again, on a server started anew
            with server_process(world.platform) as (base, _server):
                again = httpx.post(f"{base}/api/v1/access/requests/{request_id}/approve",
                                   json={}, headers=reviewer, timeout=30)  # fmt: skip
                assert again.status_code == 200, again.text
        assert _state(world, request_id) == ("approved", 1, 1)

    with world.platform.database.engine.connect() as connection:
        assert verify_chain(connection).ok
