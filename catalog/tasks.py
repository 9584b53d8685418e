"""R7: when a key element of a shared resource changes, the provider updates the catalog within
3 working days (a setting). A task opens when the provider declares the change or the platform
detects it (schema drift at ingestion); publishing a new version completes it; the sweep reminds
and escalates to the bureau."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import require_provider_action
from catalog.entries import get_resource
from catalog.models import CatalogUpdateTask, Resource, ResourceVersion
from exchange.actions import ACTIONS
from exchange.i18n import Message
from exchange.principal import Principal
from exchange.workflow import (
    DeadlineEffect,
    DeadlineStep,
    Transition,
    Workflow,
    WorkflowEnvironment,
    take_action,
)

DEADLINE_KIND = "catalog_update"

UPDATE_TASK = Workflow(
    name="catalog_update",
    subject_type="catalog_update_task",
    transitions=(
        Transition(
            "open",
            frozenset({"new"}),
            "open",
            ACTIONS.roles_for("catalog_update_task", "open"),
            (DeadlineStep(DeadlineEffect.START, DEADLINE_KIND, "catalog_update_days"),),
        ),
        Transition(
            "complete",
            frozenset({"open"}),
            "done",
            ACTIONS.roles_for("catalog_update_task", "complete"),
            (DeadlineStep(DeadlineEffect.STOP, DEADLINE_KIND),),
        ),
    ),
)


def open_update_task(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    code: str,
    description: str | Message,
    origin: str = "declared",
) -> CatalogUpdateTask:
    """Open the R7 task for ``code``, or return the one already open. A description the
    platform writes (``Message``) is shown to each reader in their language; a person's is
    kept as written."""
    resource = get_resource(session, code)
    require_provider_action(
        actor, resource, "open", doing="declare a key change of", obj="catalog_update_task"
    )
    existing = session.scalar(
        select(CatalogUpdateTask).where(
            CatalogUpdateTask.resource_id == resource.id, CatalogUpdateTask.state == "open"
        )
    )
    if existing is not None:
        return existing
    task = CatalogUpdateTask(
        resource_id=resource.id,
        resource=resource,
        provider_department_id=resource.provider_department_id,
        state="new",
        origin=origin,
        description=str(description),
        description_message=description if isinstance(description, Message) else None,
        opened_at=env.now,
    )
    session.add(task)
    session.flush()
    take_action(
        session,
        UPDATE_TASK,
        task,
        "open",
        actor=actor,
        env=env,
        detail={"resource": code, "origin": origin},
    )
    return task


def complete_open_tasks(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    resource: Resource,
    version: ResourceVersion,
) -> int:
    tasks = session.scalars(
        select(CatalogUpdateTask).where(
            CatalogUpdateTask.resource_id == resource.id, CatalogUpdateTask.state == "open"
        )
    ).all()
    for task in tasks:
        take_action(
            session,
            UPDATE_TASK,
            task,
            "complete",
            actor=actor,
            env=env,
            detail={"version": version.number},
        )
        task.closed_at = env.now
        task.closed_by_version_id = version.id
    return len(tasks)


def tasks_of(session: Session, resource: Resource) -> list[CatalogUpdateTask]:
    return list(
        session.scalars(
            select(CatalogUpdateTask)
            .where(CatalogUpdateTask.resource_id == resource.id)
            .order_by(CatalogUpdateTask.id)
        )
    )
