"""Finding and finishing work that died with its process (R9, R19, R20).

At the API's start-up and in every deadline sweep: ingest runs (collection.recovery) and tracked
background work (exchange.background_work) whose process is gone, or silent too long, are marked
abandoned, audited, and told to whoever awaited their result. The sweep then runs again what is
safe to run again: an ingest with its own run key, a validation of the resource's current
snapshot, a comparison, the scorecards of the period, violation detection. A backup is the
operator's to take again; a deadline sweep and the e-mail outbox run again on their schedule.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource
from collection.recovery import abandon_dead_runs, retry_abandoned
from exchange import audit
from exchange.audit import Outcome
from exchange.background_work import BackgroundWork, WorkState, dead_work, tracked
from exchange.i18n import Message
from exchange.identity.models import User
from exchange.identity.roles import Role
from exchange.notifications.service import notify, users_with_role
from exchange.principal import Principal
from exchange.runtime import Platform

RECOVERY = Principal.system("recovery")
log = logging.getLogger("exchange.recovery")


def _awaiting(session: Session, work: BackgroundWork) -> list[User]:
    """Who would have seen the work's result."""
    if work.kind == "validation":
        resource = session.scalar(select(Resource).where(Resource.code == work.subject))
        providers = (
            users_with_role(session, Role.DATA_RESOURCE_ADMIN, resource.provider_department_id)
            if resource is not None
            else []
        )
        return providers + users_with_role(session, Role.DATA_STEWARD)
    if work.kind == "comparison":
        return users_with_role(session, Role.DATA_STEWARD)
    if work.kind in ("scorecards", "violations"):
        return users_with_role(session, Role.BUREAU_ADMIN)
    return users_with_role(session, Role.SYSTEM_ADMIN)


def _retry_validation(platform: Platform, code: str) -> object:
    from quality.validation import validate_snapshot

    return validate_snapshot(platform, code=code)


def _retry_comparison(platform: Platform, comparison_id: str) -> object:
    from quality.comparisons import run_comparison

    return run_comparison(platform, comparison_id=int(comparison_id), actor=RECOVERY)


def compute_scorecards(platform: Platform, period: str) -> int:
    """The period's scorecards, as tracked work; how many."""
    from supervision.scorecards import compute

    with tracked(platform, "scorecards", period), platform.database.transaction() as session:
        return len(compute(session, period=period, zone=platform.settings.zone,
                           now=platform.clock.now()))  # fmt: skip


def detect_violations(platform: Platform, _subject: str = "daily") -> int:
    """New findings for the violations register, as tracked work; how many."""
    from supervision.violations import detect

    with tracked(platform, "violations", "daily"), platform.database.transaction() as session:
        return len(detect(session, now=platform.clock.now()))


RETRIES: dict[str, Callable[[Platform, str], object]] = {
    "validation": _retry_validation,
    "comparison": _retry_comparison,
    "scorecards": compute_scorecards,
    "violations": detect_violations,
}


@dataclass
class Recovered:
    runs_abandoned: list[int] = field(default_factory=list)
    runs_retried: list[int] = field(default_factory=list)
    work_abandoned: list[int] = field(default_factory=list)
    work_retried: list[int] = field(default_factory=list)


def abandon_dead_work(platform: Platform) -> list[BackgroundWork]:
    """Mark abandoned the tracked work whose process is gone or silent; the works, as they were."""
    now = platform.clock.now()
    with platform.database.transaction() as session:
        dead = dead_work(session, now=now, stale_minutes=platform.settings.stale_work_minutes)
        for work in dead:
            work.state, work.finished_at = WorkState.ABANDONED, now
            work.error = "abandoned: its process ended or fell silent"
            audit.record(session, at=now, actor=RECOVERY, action="work.abandoned",
                         outcome=Outcome.FAILED, object_type="background_work", object_id=work.id,
                         detail={"kind": work.kind, "subject": work.subject, "owner": work.owner,
                                 "heartbeat": work.heartbeat_at.isoformat()})  # fmt: skip
            notify(
                session,
                users=_awaiting(session, work),
                kind="work.abandoned",
                title=Message(
                    "Unfinished work: {kind} of {subject}",
                    kind=Message(work.kind),
                    subject=work.subject,
                ),
                body=Message(
                    "It stopped with its process and is run again where that is safe; "
                    "nothing it had not committed was kept."
                ),
                now=now,
            )
        session.expunge_all()
    return list(dead)


def recover(platform: Platform, *, retry: bool) -> Recovered:
    """Abandon what died; with ``retry`` (the sweep, not a starting API), run again what can."""
    recovered = Recovered(runs_abandoned=abandon_dead_runs(platform))
    dead = abandon_dead_work(platform)
    recovered.work_abandoned = [work.id for work in dead]
    if not retry:
        return recovered
    recovered.runs_retried = retry_abandoned(platform, recovered.runs_abandoned)
    for work in dead:
        again = RETRIES.get(work.kind)
        if again is None:
            continue
        try:
            again(platform, work.subject)
        except Exception:  # the retry is tracked work too: its failure is recorded there
            log.exception("retrying %s of %s failed", work.kind, work.subject)
            continue
        recovered.work_retried.append(work.id)
    return recovered


@dataclass
class SweepReport:
    reminded: int
    escalated: int
    refusal_summaries: int
    recovered: Recovered
    emails_sent: int
    emails_failed: int

    def as_counts(self) -> dict[str, int]:
        return {
            "reminded": self.reminded,
            "escalated": self.escalated,
            "refusal_summaries": self.refusal_summaries,
            "runs_abandoned": len(self.recovered.runs_abandoned),
            "runs_retried": len(self.recovered.runs_retried),
            "work_abandoned": len(self.recovered.work_abandoned),
            "work_retried": len(self.recovered.work_retried),
            "emails_sent": self.emails_sent,
            "emails_failed": self.emails_failed,
        }


def sweep_and_recover(platform: Platform) -> SweepReport:
    """The quarter-hourly sweep (the deadline_sweep DAG, `exchange deadlines sweep`): reminders
    and escalations, summaries of anonymous refusals, dead work found and run again, then the
    e-mail outbox; the sweep and the delivery are tracked work themselves."""
    from exchange.audit.refusals import summarise_closed_hours
    from exchange.deadlines.sweep import sweep
    from exchange.notifications.delivery import deliver_outbox

    settings = platform.settings
    with tracked(platform, "deadline_sweep", "deadlines"):
        with platform.database.transaction() as session:
            result = sweep(session, now=platform.clock.now(), email=settings.email_enabled,
                           zone=settings.zone)  # fmt: skip
        with platform.database.transaction() as session:
            summaries = summarise_closed_hours(session, now=platform.clock.now())
    recovered = recover(platform, retry=True)
    with tracked(platform, "email_delivery", "outbox"):
        delivery = deliver_outbox(platform.database, settings, platform.clock)
    return SweepReport(result.reminded, result.escalated, summaries, recovered,
                       delivery.sent, delivery.failed)  # fmt: skip
