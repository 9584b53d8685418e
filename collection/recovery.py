"""Ingest runs whose process died (R9): found, marked abandoned, and retried with their key.

A run records its owner (exchange.work_owner) and a heartbeat that a thread of the running
process renews every ``heartbeat_seconds`` (collection.ingest.heartbeat). At the API's start-up
and in every deadline sweep, a run still "running" whose owner is gone from this host, or, owned
on another host, whose heartbeat is older than ``stale_work_minutes``, is marked abandoned:
audited, and told to the provider's data resource administrators. Its files that no snapshot
references are the maintenance DAG's to remove. A retry with the same run key is safe: a key
already committed is never written twice.
"""

from datetime import timedelta

from sqlalchemy import select

from catalog.models import Resource
from collection.ingest import IngestFailed, ingest
from collection.models import IngestRun, Source
from collection.vocab import RunStatus
from exchange import audit
from exchange.audit import Outcome
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.notifications.service import notify, users_with_role
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.work_owner import why_dead

RECOVERY = Principal.system("recovery")


def abandon_dead_runs(platform: Platform) -> list[int]:
    """Mark abandoned each running run whose owner is gone or silent; their ids."""
    now = platform.clock.now()
    silent_since = now - timedelta(minutes=platform.settings.stale_work_minutes)
    abandoned = []
    with platform.database.transaction() as session:
        running = session.scalars(
            select(IngestRun).where(IngestRun.status == RunStatus.RUNNING).with_for_update()
        ).all()
        for run in running:
            last_sign = run.heartbeat_at or run.started_at
            why = why_dead(run.owner, last_sign, silent_since)
            if why is None:
                continue
            reason = (
                Message("its process ended")
                if why == "gone"
                else Message("no sign of life since {since}",
                             since=last_sign.isoformat(timespec="seconds"))
            )  # fmt: skip
            message = Message(
                "the run stopped with its process ({reason}); the previous data stays current",
                reason=reason,
            )
            run.status, run.finished_at = RunStatus.ABANDONED, now
            run.error, run.error_message = message.english, message
            resource = session.get_one(Resource, run.resource_id)
            audit.record(session, at=now, actor=RECOVERY, action="collection.ingest_abandoned",
                         outcome=Outcome.FAILED, object_type="resource", object_id=resource.code,
                         detail={"run": run.run_key, "owner": run.owner,
                                 "heartbeat": last_sign.isoformat()})  # fmt: skip
            source = session.get_one(Source, run.source_id)
            notify(
                session,
                users=users_with_role(
                    session, Role.DATA_RESOURCE_ADMIN, resource.provider_department_id
                ),
                kind="collection.run_abandoned",
                title=Message("An ingest run of {code} stopped", code=resource.code),
                body=message,
                link=f"/sources/{source.id}",
                now=now,
            )
            abandoned.append(run.id)
    return abandoned


def retry_abandoned(platform: Platform, run_ids: list[int]) -> list[int]:
    """Run each abandoned run again with its own key (nothing is written twice); the ids of those
    that succeeded. A retry that fails again stays failed, with its reason."""
    with platform.database.transaction() as session:
        keys = [(run.source_id, run.run_key) for run in
                session.scalars(select(IngestRun).where(IngestRun.id.in_(run_ids)))]  # fmt: skip
    succeeded = []
    for source_id, run_key in keys:
        try:
            succeeded.append(ingest(platform, source_id=source_id, run_key=run_key).id)
        except IngestFailed:
            continue
    return succeeded
