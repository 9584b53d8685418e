"""Review and publication (R1): registrar submits, another person of the department's reviewers
approves or returns it; approval publishes the version and closes open R7 update tasks."""

from sqlalchemy.orm import Session

from catalog.access import require_provider_action
from catalog.entries import get_resource, published_version, validation_context, working_version
from catalog.models import Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.search import reindex
from catalog.validation import validate_entry
from catalog.vocab import ResourceStatus, VersionState
from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import Conflict, InvalidInput, PermissionDenied
from exchange.policy_changes import announce
from exchange.principal import Principal
from exchange.workflow import Transition, Workflow, WorkflowEnvironment, take_action

REVIEW = Workflow(
    name="catalog",
    subject_type="catalog_version",
    transitions=(
        Transition(
            "submit",
            frozenset({VersionState.DRAFT, VersionState.RETURNED}),
            VersionState.SUBMITTED,
            ACTIONS.roles_for("catalog_entry", "submit"),
        ),
        Transition(
            "approve",
            frozenset({VersionState.SUBMITTED}),
            VersionState.PUBLISHED,
            ACTIONS.roles_for("catalog_entry", "approve"),
        ),
        Transition(
            "return",
            frozenset({VersionState.SUBMITTED}),
            VersionState.RETURNED,
            ACTIONS.roles_for("catalog_entry", "return"),
        ),
    ),
)


def _version_in_progress(session: Session, resource: Resource) -> ResourceVersion:
    version = working_version(session, resource)
    if version is None:
        raise Conflict(
            "entry {code} has no version in progress",
            detail={"status": resource.status},
            code=resource.code,
        )
    return version


def _still_valid(session: Session, resource: Resource, version: ResourceVersion) -> None:
    """Validate again at each step of review: the rules may have changed since the draft was
    saved (R8: the bureau names an authoritative source for one of its items)."""
    problems = validate_entry(
        EntryDraft.model_validate(version),
        validation_context(session, resource.provider_department_id, resource.code),
    )
    if problems:
        raise InvalidInput(
            "entry {code} has {problems_count} problem(s) to fix in its draft before it goes on; "
            "nothing was changed",
            detail=[p.as_dict() for p in problems],
            error_code="catalog_invalid",
            code=resource.code,
            problems_count=len(problems),
        )


def submit(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, code: str
) -> ResourceVersion:
    resource = get_resource(session, code)
    require_provider_action(actor, resource, "submit", doing="submit")
    version = _version_in_progress(session, resource)
    _still_valid(session, resource, version)
    take_action(session, REVIEW, version, "submit", actor=actor, env=env, detail={"resource": code})
    version.submitted_by = actor.user_id
    version.submitted_at = env.now
    if resource.status == ResourceStatus.DRAFT:
        resource.status = ResourceStatus.IN_REVIEW
    reindex(session, resource)
    return version


def _check_reviewer(actor: Principal, resource: Resource, version: ResourceVersion) -> None:
    require_provider_action(actor, resource, "approve", doing="review")
    authors = {version.created_by, version.submitted_by, *version.edited_by}
    if actor.user_id is not None and actor.user_id in authors:
        raise PermissionDenied(
            "registrar and reviewer must be different people (R1), and whoever changed this "
            "version is one of its registrars: ask another reviewer of your department",
            detail={"rule": "R1", "resource": resource.code},
        )


def approve(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    code: str,
    comment: str | None = None,
) -> ResourceVersion:
    from catalog.tasks import complete_open_tasks

    resource = get_resource(session, code)
    version = _version_in_progress(session, resource)
    _check_reviewer(actor, resource, version)
    _still_valid(session, resource, version)
    previous = published_version(session, resource)
    take_action(
        session,
        REVIEW,
        version,
        "approve",
        actor=actor,
        env=env,
        comment=comment,
        detail={"resource": code},
    )
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
    version.reviewed_by = actor.user_id
    version.reviewed_at = env.now
    version.review_comment = comment
    version.publication_date = env.now.astimezone(env.calendar.zone).date()
    resource.published_version_id = version.id
    resource.status = ResourceStatus.PUBLISHED
    session.flush()
    complete_open_tasks(session, actor=actor, env=env, resource=resource, version=version)
    reindex(session, resource)
    announce(session, "resource", resource.id)  # its items' share types may have changed
    return version


def return_for_changes(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, code: str, comment: str
) -> ResourceVersion:
    if not comment.strip():
        raise InvalidInput(
            "say what must change: a returned entry needs comments", detail={"field": "comment"}
        )
    resource = get_resource(session, code)
    version = _version_in_progress(session, resource)
    _check_reviewer(actor, resource, version)
    _still_valid(session, resource, version)
    take_action(
        session,
        REVIEW,
        version,
        "return",
        actor=actor,
        env=env,
        comment=comment,
        detail={"resource": code},
    )
    version.reviewed_by = actor.user_id
    version.reviewed_at = env.now
    version.review_comment = comment
    return version


def retire(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, code: str, reason: str
) -> Resource:
    """Withdraw a published entry from use; it stays findable, marked retired."""
    if not reason.strip():
        raise InvalidInput("retiring an entry needs a reason", detail={"field": "reason"})
    resource = get_resource(session, code)
    require_provider_action(actor, resource, "retire", doing="retire")
    if resource.status != ResourceStatus.PUBLISHED:
        raise Conflict(
            "only a published entry can be retired; {code} is {status}",
            code=code,
            status=resource.status,
        )
    resource.status = ResourceStatus.RETIRED
    resource.retired_at = env.now
    resource.retire_reason = reason
    reindex(session, resource)
    announce(session, "resource", resource.id)
    audit.record(
        session,
        at=env.now,
        actor=actor,
        action="catalog.retire",
        object_type="catalog_resource",
        object_id=code,
        detail={"reason": reason},
    )
    return resource
