"""Work orders (R30, R33): the bureau orders the provider to open an approved application's
resources; the provider's staff, who see only the orders addressed to their company, open them
within the profile's limit (24 hours by default) and record the resource identifiers; the unit
rates the work."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.applications import get_application
from cloud.models import ApplicationLine, CloudApplication, WorkOrder
from cloud.providers import get_provider
from cloud.vocab import Satisfaction, WorkOrderKind, WorkOrderState
from cloud.workflow import APPLICATION, WORK_ORDER_FLOW
from exchange import audit
from exchange.actions import ACTIONS, relation_of
from exchange.errors import InvalidInput, not_found
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment, take_action


def issue(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, application_id: int
) -> WorkOrder:
    """The bureau sends the approved application's work order to its provider (R30)."""
    application = get_application(session, application_id, actor)
    ACTIONS.require(actor, relation_of(actor, provider_id=application.department_id),
                    "cloud_application", "order",
                    explain="the bureau's cloud reviewers send work orders")  # fmt: skip
    take_action(session, APPLICATION, application, "order", actor=actor, env=env)
    return send(session, actor=actor, env=env, application=application, kind=WorkOrderKind.OPEN)


def send(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application: CloudApplication,
    kind: WorkOrderKind,
    change_id: int | None = None,
) -> WorkOrder:
    """A work order of ``kind`` to the application's provider, its limit running (R30, R32)."""
    provider = get_provider(session, application.provider_id)
    order = WorkOrder(application_id=application.id, provider_id=provider.id,
                      provider_department_id=provider.department_id,
                      unit_department_id=application.department_id, kind=kind, change_id=change_id,
                      state=WorkOrderState.ISSUED, issued_at=env.now, issued_by=actor.username)  # fmt: skip
    session.add(order)
    session.flush()
    take_action(session, WORK_ORDER_FLOW, order, f"issue_{kind}", actor=actor, env=env,
                detail={"application": application.id, "provider": provider.id, "kind": kind})  # fmt: skip
    return order


def get_order(session: Session, order_id: int, actor: Principal) -> WorkOrder:
    """A work order, for the provider it is addressed to, its unit and the bureau's cloud staff;
    404 for everyone else."""
    order = session.get(WorkOrder, order_id)
    if order is None or not (
        actor.department_id in (order.provider_department_id, order.unit_department_id)
        or sees_all(actor, Records.CLOUD)
    ):
        raise not_found(order, "no work order {order_id}", order_id=order_id)
    return order


def visible(session: Session, actor: Principal) -> list[WorkOrder]:
    query = select(WorkOrder).order_by(WorkOrder.id.desc())
    if not sees_all(actor, Records.CLOUD):
        query = query.where(
            (WorkOrder.provider_department_id == actor.department_id)
            | (WorkOrder.unit_department_id == actor.department_id)
        )
    return list(session.scalars(query.limit(500)))


def open_resources(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    order_id: int,
    resource_ids: dict[str, Any],
) -> WorkOrder:
    """The provider has opened the resources: their identifiers go on record and the trial
    starts (R30, R31)."""
    order = complete(session, actor=actor, env=env, order_id=order_id, kind=WorkOrderKind.OPEN,
                     record=resource_ids)  # fmt: skip
    application = session.get_one(CloudApplication, order.application_id)
    take_action(session, APPLICATION, application, "open", actor=actor, env=env)
    application.opened_at = env.now
    for line in lines_of(session, application.id):
        line.held_from = env.now
    return order


def lines_of(session: Session, application_id: int, *, held: bool = False) -> list[ApplicationLine]:
    """An application's lines; with ``held``, only those the unit holds now."""
    query = select(ApplicationLine).where(ApplicationLine.application_id == application_id)
    if held:
        query = query.where(
            ApplicationLine.held_from.is_not(None), ApplicationLine.held_to.is_(None)
        )
    return list(session.scalars(query.order_by(ApplicationLine.id)))


def complete(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    order_id: int,
    kind: WorkOrderKind,
    record: dict[str, Any],
) -> WorkOrder:
    """The provider the order is addressed to has done its work; what it records (resource
    identifiers, a wipe certificate) goes on the order."""
    order = get_order(session, order_id, actor)
    ACTIONS.require(actor, relation_of(actor, provider_id=order.provider_department_id,
                                       consumer_id=order.unit_department_id),
                    "cloud_work_order", "open",
                    explain="only the provider the order is addressed to carries it out")  # fmt: skip
    if order.kind != kind:
        raise InvalidInput("work order {id} is a {kind} order", detail={"field": "kind"},
                           id=order.id, kind=order.kind)  # fmt: skip
    if not record or not all(str(v).strip() for v in record.values()):
        raise InvalidInput("record the identifier of every resource opened",
                           detail={"field": "resource_ids"})  # fmt: skip
    take_action(session, WORK_ORDER_FLOW, order, f"complete_{kind}", actor=actor, env=env,
                detail={"record": record})  # fmt: skip
    order.done_at, order.done_by, order.resource_ids = env.now, actor.username, record
    return order


def rate(
    session: Session, *, actor: Principal, now: datetime, order_id: int, satisfaction: Satisfaction
) -> WorkOrder:
    """R33: the unit rates the provider after a work order is done."""
    order = get_order(session, order_id, actor)
    ACTIONS.require(actor, relation_of(actor, provider_id=order.unit_department_id),
                    "cloud_work_order", "rate",
                    explain="the unit the work was done for rates it")  # fmt: skip
    if order.state != WorkOrderState.DONE:
        raise InvalidInput("a work order is rated once it is done", detail={"field": "state"})
    order.satisfaction, order.rated_at = Satisfaction(satisfaction), now
    audit.record(session, at=now, actor=actor, action="cloud.work_order.rate",
                 object_type="cloud_work_order", object_id=order.id,
                 detail={"satisfaction": order.satisfaction})  # fmt: skip
    return order
