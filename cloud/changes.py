"""Changes and exit (R32). A unit asks to change its system's resources; the bureau reviews it
within the profile's limit; the provider carries it out within its own; a major change refiles
the materials and the system is tested again. To leave, the unit migrates its data out and says
so; the bureau reviews the exit; the provider reclaims the resources and certifies the wipe; the
unit confirms, and each catalog entry the system provided gets its R7 update task."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.tasks import open_update_task
from cloud import providers
from cloud.applications import get_application
from cloud.models import ApplicationLine, CloudApplication, CloudChange, WorkOrder
from cloud.vocab import ApplicationState, ChangeKind, ChangeState, WorkOrderKind
from cloud.work_orders import complete, lines_of, send
from cloud.workflow import APPLICATION, CHANGE
from exchange.actions import ACTIONS, relation_of
from exchange.errors import Conflict, InvalidInput, not_found
from exchange.i18n import Message
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment, take_action

RUNNING = frozenset({ApplicationState.TRIAL, ApplicationState.PRODUCTION})


def request_change(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application_id: int,
    description: str,
    lines: list[dict[str, Any]],
    major: bool = False,
) -> CloudChange:
    application = _as_unit(session, actor, application_id)
    if not description.strip() or not lines:
        raise InvalidInput("describe the change and the resources it asks for",
                           detail={"field": "description"})  # fmt: skip
    codes = {s.code for s in providers.services_of(session, application.provider_id)}
    unknown = sorted({str(line.get("service_code")) for line in lines} - codes)
    if unknown or any(int(line.get("quantity") or 0) < 1 for line in lines):
        raise InvalidInput("not in the provider's catalog: {unknown}", detail={"field": "lines"},
                           unknown=", ".join(unknown) or "-")  # fmt: skip
    return _file(session, actor, env, application, ChangeKind.CHANGE, description, lines, major)


def request_exit(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application_id: int,
    description: str,
    data_migrated: bool,
) -> CloudChange:
    application = _as_unit(session, actor, application_id)
    if not data_migrated:
        raise InvalidInput("migrate the system's data out before asking to leave (R32)",
                           detail={"field": "data_migrated"})  # fmt: skip
    return _file(session, actor, env, application, ChangeKind.EXIT, description, [], False)


def decide(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    change_id: int,
    approve: bool,
    reply: str,
) -> CloudChange:
    change = get_change(session, change_id, actor)
    application = session.get_one(CloudApplication, change.application_id)
    ACTIONS.require(actor, relation_of(actor, provider_id=application.department_id),
                    "cloud_application", "review",
                    explain="the bureau's cloud reviewers decide changes")  # fmt: skip
    if not approve and not reply.strip():
        raise InvalidInput("a refusal gives its reasons", detail={"field": "reply"})
    verb = "approve" if approve else "refuse"
    take_action(session, CHANGE, change, f"{verb}_{change.kind}", actor=actor, env=env,
                comment=reply)  # fmt: skip
    change.decided_by, change.decided_at, change.reply = actor.username, env.now, reply.strip()
    if approve and change.kind == ChangeKind.CHANGE:
        send(session, actor=actor, env=env, application=application, kind=WorkOrderKind.CHANGE,
             change_id=change.id)  # fmt: skip
    elif approve:
        take_action(session, APPLICATION, application, "exit", actor=actor, env=env)
        send(session, actor=actor, env=env, application=application, kind=WorkOrderKind.RECLAIM,
             change_id=change.id)  # fmt: skip
    return change


def carry_out(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    order_id: int,
    resource_ids: dict[str, Any],
) -> CloudChange:
    """The provider has made the change; a major one sends the system back to its trial."""
    order = complete(session, actor=actor, env=env, order_id=order_id, kind=WorkOrderKind.CHANGE,
                     record=resource_ids)  # fmt: skip
    change = session.get_one(CloudChange, order.change_id)
    take_action(session, CHANGE, change, "complete", actor=actor, env=env)
    application = session.get_one(CloudApplication, change.application_id)
    _replace_lines(session, application, change.lines, env.now)
    if change.major and application.state == ApplicationState.PRODUCTION:
        take_action(session, APPLICATION, application, "retest", actor=_bureau(), env=env)
    return change


def certify_wipe(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    order_id: int,
    certificate: str,
) -> CloudChange:
    """The provider has reclaimed the resources and certifies the data wiped."""
    order = complete(session, actor=actor, env=env, order_id=order_id, kind=WorkOrderKind.RECLAIM,
                     record={"wipe_certificate": certificate})  # fmt: skip
    change = session.get_one(CloudChange, order.change_id)
    change.wipe_certificate = certificate.strip()
    for line in lines_of(session, change.application_id, held=True):
        line.held_to = env.now  # reclaimed: no longer held, no longer paid for
    return change


def confirm_exit(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, change_id: int
) -> CloudChange:
    """The unit confirms the wipe; the system has left, and what it provided is to update."""
    change = get_change(session, change_id, actor)
    application = _as_unit(session, actor, change.application_id, states=frozenset(
        {ApplicationState.EXITING}))  # fmt: skip
    if change.kind != ChangeKind.EXIT or not change.wipe_certificate:
        raise Conflict("the provider has not certified the wipe yet (R32)")
    take_action(session, CHANGE, change, "complete", actor=actor, env=env)
    take_action(session, APPLICATION, application, "close", actor=actor, env=env)
    change.confirmed_at = env.now
    for code in application.provides:
        open_update_task(
            session, actor=_bureau(), env=env, code=code, origin="cloud_exit",
            description=Message("the system {system} has left the government cloud: update how "
                                "the entry is provided (R7)", system=application.system_name),
        )  # fmt: skip
    return change


def get_change(session: Session, change_id: int, actor: Principal) -> CloudChange:
    change = session.get(CloudChange, change_id)
    if change is None:
        raise not_found(change, "no cloud change {change_id}", change_id=change_id)
    get_application(session, change.application_id, actor)  # 404 for whoever may not see it
    return change


def orders_of(session: Session, change: CloudChange) -> list[WorkOrder]:
    return list(session.scalars(select(WorkOrder).where(WorkOrder.change_id == change.id)))


def _as_unit(
    session: Session, actor: Principal, application_id: int,
    states: frozenset[ApplicationState] = RUNNING,
) -> CloudApplication:  # fmt: skip
    application = get_application(session, application_id, actor)
    ACTIONS.require(actor, relation_of(actor, provider_id=application.department_id),
                    "cloud_application", "apply",
                    explain="the unit changes or ends its own system's resources")  # fmt: skip
    if application.state not in states:
        raise Conflict("cloud application {id} is {state}: not running on the cloud",
                       id=application.id, state=application.state)  # fmt: skip
    return application


def _file(
    session: Session, actor: Principal, env: WorkflowEnvironment, application: CloudApplication,
    kind: ChangeKind, description: str, lines: list[dict[str, Any]], major: bool,
) -> CloudChange:  # fmt: skip
    change = CloudChange(application_id=application.id, kind=kind, state=ChangeState.REQUESTED,
                         description=description.strip(), lines=lines, major=major,
                         requested_by=actor.username, requested_at=env.now)  # fmt: skip
    session.add(change)
    session.flush()
    take_action(session, CHANGE, change, f"request_{kind}", actor=actor, env=env,
                detail={"application": application.id, "major": major})  # fmt: skip
    return change


def _replace_lines(
    session: Session, application: CloudApplication, lines: list[dict[str, Any]], now: datetime
) -> None:
    """The changed services' lines end now and their new quantities are held from now on."""
    held = {line.service_id: line for line in lines_of(session, application.id, held=True)}
    services = {s.code: s.id for s in providers.services_of(session, application.provider_id)}
    for wanted in lines:
        service_id = services.get(str(wanted.get("service_code")))
        if service_id is None:
            raise InvalidInput("not in the provider's catalog: {unknown}",
                               detail={"field": "lines"}, unknown=wanted.get("service_code"))  # fmt: skip
        if service_id in held:
            held[service_id].held_to = now
        session.add(ApplicationLine(application_id=application.id, service_id=service_id,
                                    quantity=int(wanted["quantity"]),
                                    elastic_peak=wanted.get("elastic_peak"), held_from=now))  # fmt: skip


def _bureau() -> Principal:
    """The platform acting on the bureau's decision (a retest, the R7 task after an exit)."""
    return Principal.system("cloud")
