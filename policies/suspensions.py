"""The end of a freshness episode (R11): a warning lifted or suspended grants restored, told to
the department and the bureau, audited, and announced to every API process's decision point.

It lives beside the suspension it ends because two layers end episodes: the daily enforcement
(supervision) and the ingest whose commit makes a department's data fresh again (collection),
which must not wait for the next daily run to give a department its grants back."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.deadlines.service import find_open_deadline, stop_deadline
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.notifications.service import notify, users_with_role
from exchange.policy_changes import announce
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment
from policies.models import GRACE, Suspension

SUBJECT = "grant_suspension"
FRESH_AGAIN = Message("data up to date again")


def current(session: Session, department_id: int) -> Suspension | None:
    """The department's warning or suspension in progress, if any."""
    return session.scalar(
        select(Suspension).where(
            Suspension.department_id == department_id, Suspension.state != "ended"
        )
    )


def tell(
    session: Session, episode: Suspension, kind: str, title: Message, body: Message, now: datetime
) -> None:
    """Tell the department's data resource administrators and consumers, and the bureau."""
    people = users_with_role(session, Role.DATA_RESOURCE_ADMIN, episode.department_id)
    people += users_with_role(session, Role.CONSUMER, episode.department_id)
    people += users_with_role(session, Role.BUREAU_ADMIN)
    notify(session, users={u.id: u for u in people}.values(), kind=kind, title=title,
           body=body, now=now, link="/supervision/suspensions")  # fmt: skip


def end_episode(
    session: Session,
    episode: Suspension,
    *,
    env: WorkflowEnvironment,
    actor: Principal,
    reason: Message,
) -> None:
    was_suspended = episode.state == "suspended"
    episode.state, episode.ended_at, episode.end_reason = "ended", env.now, reason.english
    episode.ended_by = actor.username
    deadline = find_open_deadline(session, kind=GRACE, subject_type=SUBJECT, subject_id=episode.id)
    if deadline is not None:
        stop_deadline(deadline, now=env.now)
    if was_suspended:
        announce(session, "suspension", episode.department_id)
    what = Message("Grants restored") if was_suspended else Message("Warning lifted")
    tell(session, episode, "supervision.restored", what,
         Message("{what}: {reason}.", what=what, reason=reason), env.now)  # fmt: skip
    audit.record(session, at=env.now, actor=actor, action="supervision.restore",
                 object_type="department", object_id=episode.department_id,
                 detail={"reason": reason.english, "was_suspended": was_suspended})  # fmt: skip
