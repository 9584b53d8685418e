"""Government cloud pages (R29-R33): units apply and follow their systems, the bureau's cloud
reviewers decide and send work orders, providers open, change and reclaim what the orders ask.
Every action goes through the cloud package, exactly as the API's do."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource, ResourceVersion
from catalog.vocab import ResourceStatus
from cloud import applications, changes, providers, trial, utilisation, work_orders
from cloud.applications import ApplicationDraft, Line
from cloud.models import (
    ApplicationLine,
    CloudApplication,
    CloudChange,
    CloudProvider,
    ProviderService,
    WorkOrder,
)
from cloud.providers import ServiceDraft
from cloud.vocab import ApprovalDocument, ResourceKind, Satisfaction
from exchange.actions import ACTIONS
from exchange.errors import InvalidInput
from exchange.identity.models import Department
from exchange.runtime import Platform
from exchange.workdays.spans import add_months
from exchange.workflow import WorkflowEnvironment
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import Form, PortalUser, attempt, done, form_day, redirect, render, say

router = APIRouter(include_in_schema=False)
LINES = 4  # resource rows on the application form


def _names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Department.id, Department.name)).all())


def _providers(session: Session) -> list[tuple[CloudProvider, str, list[ProviderService]]]:
    names = _names(session)
    return [(p, names.get(p.department_id, ""), providers.services_of(session, p.id))
            for p in session.scalars(select(CloudProvider).order_by(CloudProvider.id))]  # fmt: skip


def _own_entries(session: Session, department_id: int | None) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Resource.code, ResourceVersion.name)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(Resource.provider_department_id == department_id,
               Resource.status == ResourceStatus.PUBLISHED)
        .order_by(Resource.code)
    )  # fmt: skip
    return [(code, name) for code, name in rows]


@router.get("/cloud")
def cloud_page(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    settings, now = platform.settings, platform.clock.now()
    month = f"{add_months(now.astimezone(settings.zone).date().replace(day=1), -1):%Y-%m}"
    reviewer = ACTIONS.allows(actor, "other", "cloud_application", "review")
    late = utilisation.late_reports(session, settings=settings, now=now) if reviewer else []
    listed = _providers(session)
    return render(request, "cloud.html", applications=applications.visible(session, actor),
                  departments=_names(session), providers=listed,
                  entries=_own_entries(session, actor.department_id), lines=range(LINES),
                  documents=list(ApprovalDocument), form={}, month=month,
                  rightsizing=utilisation.rightsizing(session, actor=actor, settings=settings,
                                                      month=month),
                  late=late, provider_names={p.id: name for p, name, _ in listed})  # fmt: skip


def _int(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError as error:
        raise InvalidInput("{field} is a whole number", detail={"field": field},
                           field=field) from error  # fmt: skip


def _draft(form: dict[str, str]) -> ApplicationDraft:
    lines = [Line(form[f"service_{n}"], _int(form.get(f"quantity_{n}", ""), "quantity") or 0,
                  _int(form.get(f"peak_{n}", ""), "elastic_peak"))
             for n in range(LINES) if form.get(f"service_{n}")]  # fmt: skip
    uses = [
        code.strip() for code in form.get("uses", "").replace("，", ",").split(",") if code.strip()
    ]
    return ApplicationDraft(
        provider_id=_int(form["provider_id"], "provider_id") or 0,
        system_name=form["system_name"], construction_plan=form["construction_plan"],
        self_test_report=form["self_test_report"],
        security_letter_signed_by=form["security_letter_signed_by"],
        persons={"负责人": form["responsible_person"]} if form["responsible_person"].strip() else {},
        lines=lines, approval_document=ApprovalDocument(form["approval_document"]),
        approval_reference=form["approval_reference"],
        sharing_connection=form["sharing_connection"],
        mlps_level=_int(form["mlps_level"], "mlps_level") or 0,
        provides=[c for c in form.get("provides", "").split(",") if c],
        uses=uses, investment_yuan=_int(form.get("investment_yuan", ""), "investment_yuan"),
        major=form.get("major") == "yes",
    )  # fmt: skip


@router.post("/cloud")
def apply_page(request: Request, actor: PortalUser, form: Form, platform: AppPlatform) -> Response:
    created: list[int] = []

    def apply(session: Session, env: WorkflowEnvironment) -> None:
        created.append(applications.apply(session, actor=actor, env=env, draft=_draft(form)).id)

    failed = attempt(request, platform, apply)
    if failed:
        return redirect("/cloud", notice=failed)
    return redirect(f"/cloud/applications/{created[0]}", notice=say(request, "Saved"))


@router.get("/cloud/applications/{application_id}")
def application_page(
    request: Request, application_id: int, actor: PortalUser, session: DbSession
) -> Response:
    application = applications.get_application(session, application_id, actor)
    lines = session.execute(
        select(ApplicationLine, ProviderService)
        .join(ProviderService, ProviderService.id == ApplicationLine.service_id)
        .where(ApplicationLine.application_id == application.id)
    ).all()
    found = session.scalars(select(CloudChange).where(CloudChange.application_id == application.id)
                            .order_by(CloudChange.id)).all()  # fmt: skip
    orders = session.scalars(select(WorkOrder).where(WorkOrder.application_id == application.id)
                             .order_by(WorkOrder.id)).all()  # fmt: skip
    return render(request, "cloud_application.html", item=application, lines=lines,
                  changes=found, orders=orders, departments=_names(session),
                  satisfactions=list(Satisfaction),
                  events=history(session, subject_type="cloud_application",
                                 subject_id=application.id))  # fmt: skip


Step = Callable[[Session, WorkflowEnvironment, Any, dict[str, Any]], object]


def _decide(action: str) -> Step:
    return lambda s, env, actor, form: applications.decide(
        s, actor=actor, env=env, application_id=int(form["_id"]), action=action,
        reason=form.get("reason", ""))  # fmt: skip


# What each button of an application's page does.
STEPS: dict[str, Step] = {
    "accept": _decide("accept"),
    "refuse": _decide("refuse"),
    "approve": _decide("approve"),
    "resubmit": _decide("resubmit"),
    "order": lambda s, env, actor, form: work_orders.issue(
        s, actor=actor, env=env, application_id=int(form["_id"])),
    "extend": lambda s, env, actor, form: trial.extend_trial(
        s, actor=actor, env=env, application_id=int(form["_id"]),
        days=_int(form["days"], "days") or 0, expert_opinion=form["expert_opinion"]),
    "test": lambda s, env, actor, form: trial.file_test(
        s, actor=actor, env=env, application_id=int(form["_id"]), report=form["report"],
        third_party_report=form.get("third_party_report") or None),
    "review_test": lambda s, env, actor, form: trial.review_test(
        s, actor=actor, env=env, application_id=int(form["_id"]), passed=form["passed"] == "yes",
        note=form["note"]),
    "change": lambda s, env, actor, form: changes.request_change(
        s, actor=actor, env=env, application_id=int(form["_id"]), description=form["description"],
        lines=[{"service_code": form["service"], "quantity": _int(form["quantity"], "quantity")}],
        major=form.get("major") == "yes"),
    "exit": lambda s, env, actor, form: changes.request_exit(
        s, actor=actor, env=env, application_id=int(form["_id"]), description=form["description"],
        data_migrated=form.get("data_migrated") == "yes"),
    "decide_change": lambda s, env, actor, form: changes.decide(
        s, actor=actor, env=env, change_id=int(form["change_id"]), approve=form["approve"] == "yes",
        reply=form.get("reply", "")),
    "confirm_exit": lambda s, env, actor, form: changes.confirm_exit(
        s, actor=actor, env=env, change_id=int(form["change_id"])),
    "rate": lambda s, env, actor, form: work_orders.rate(
        s, actor=actor, now=env.now, order_id=int(form["order_id"]),
        satisfaction=Satisfaction(form["satisfaction"])),
}  # fmt: skip


@router.post("/cloud/applications/{application_id}/{step}")
def application_step(
    request: Request, application_id: int, step: str, actor: PortalUser, form: Form,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    return _take(request, platform, actor, STEPS.get(step), {**form, "_id": str(application_id)},
                 f"/cloud/applications/{application_id}",
                 InvalidInput("no action {action!r} on a cloud application", action=step))  # fmt: skip


def _take(
    request: Request, platform: Platform, actor: Any, step: Step | None, values: dict[str, Any],
    back: str, unknown: InvalidInput,
) -> Response:  # fmt: skip
    """One button of a cloud page: its step in a transaction of its own, then back to ``back``
    with what happened; ``unknown`` when the page has no such button."""
    if step is None:
        raise unknown
    return done(request, back, platform, lambda session, env: step(session, env, actor, values))


@router.get("/cloud/work-orders")
def work_orders_page(request: Request, actor: PortalUser, session: DbSession) -> Response:
    orders = work_orders.visible(session, actor)
    # What each order asks for: the system and its resource lines (the provider sees no more).
    asked: dict[int, tuple[str, list[tuple[str, int, str, int | None]]]] = {}
    for order in orders:
        application = session.get_one(CloudApplication, order.application_id)
        rows = session.execute(
            select(ProviderService.name, ApplicationLine.quantity, ProviderService.unit,
                   ApplicationLine.elastic_peak)
            .join(ProviderService, ProviderService.id == ApplicationLine.service_id)
            .where(ApplicationLine.application_id == application.id)
        ).all()  # fmt: skip
        asked[order.id] = (application.system_name, [tuple(r) for r in rows])  # type: ignore[misc]
    return render(request, "cloud_work_orders.html", orders=orders, departments=_names(session),
                  asked=asked)  # fmt: skip


ORDER_STEPS: dict[str, Step] = {
    "open": lambda s, env, actor, form: work_orders.open_resources(
        s, actor=actor, env=env, order_id=int(form["_id"]), resource_ids=_ids(form["record"])),
    "change": lambda s, env, actor, form: changes.carry_out(
        s, actor=actor, env=env, order_id=int(form["_id"]), resource_ids=_ids(form["record"])),
    "reclaim": lambda s, env, actor, form: changes.certify_wipe(
        s, actor=actor, env=env, order_id=int(form["_id"]), certificate=form["record"]),
}  # fmt: skip


def _ids(text: str) -> dict[str, str]:
    """``ecs=i-0001, ebs=vol-1`` (or one identifier per line) → the resources opened."""
    pairs = [part.split("=", 1) for part in text.replace("\n", ",").split(",") if part.strip()]
    return {(p[0] if len(p) == 2 else f"resource_{n + 1}").strip(): p[-1].strip()
            for n, p in enumerate(pairs)}  # fmt: skip


@router.post("/cloud/work-orders/{order_id}/{kind}")
def work_order_step(
    request: Request, order_id: int, kind: str, actor: PortalUser, form: Form,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    return _take(request, platform, actor, ORDER_STEPS.get(kind), {**form, "_id": str(order_id)},
                 "/cloud/work-orders",
                 InvalidInput("no action {action!r} on a work order", action=kind))  # fmt: skip


def _services(text: str) -> list[ServiceDraft]:
    """One service a line: ``code, name, kind, unit, price, ceiling`` (fen per unit and day)."""
    drafts = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        parts = [part.strip() for part in line.replace("，", ",").split(",")]
        if len(parts) != 6 or parts[2] not in set(ResourceKind):
            raise InvalidInput(
                "service line {number}: write code, name, kind, unit, price, ceiling",
                detail={"field": "services", "line": number}, number=number,
            )  # fmt: skip
        drafts.append(ServiceDraft(parts[0], parts[1], ResourceKind(parts[2]), parts[3],
                                   _int(parts[4], "price") or 0, _int(parts[5], "ceiling") or 0))  # fmt: skip
    return drafts


@router.post("/cloud/providers")
def register_provider_page(
    request: Request, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    return done(request, "/cloud", platform, lambda session, env: providers.register_provider(
        session, actor=actor, now=env.now, department_code=form["department_code"].strip(),
        contract_number=form["contract_number"], contract_from=form_day(form["contract_from"], "contract_from"),
        contract_to=form_day(form["contract_to"], "contract_to"), services=_services(form["services"])))  # fmt: skip


PROVIDER_STEPS: dict[str, Step] = {
    "connect": lambda s, env, actor, form: utilisation.connect_reports(
        s, actor=actor, env=env, settings=form["_settings"], provider_id=int(form["_id"])),
    "incident": lambda s, env, actor, form: providers.record_incident(
        s, actor=actor, now=env.now, provider_id=int(form["_id"]),
        occurred_on=form_day(form["occurred_on"], "occurred_on"), description=form["description"]),
    "leaving": lambda s, env, actor, form: providers.announce_leaving(
        s, actor=actor, now=env.now, provider_id=int(form["_id"]),
        leaving_on=form_day(form["leaving_on"], "leaving_on"),
        transition=form["_settings"].deadline_span("cloud_provider_transition")),
}  # fmt: skip


@router.post("/cloud/providers/{provider_id}/{step}")
def provider_step(
    request: Request, provider_id: int, step: str, actor: PortalUser, form: Form,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    values: dict[str, Any] = {**form, "_id": str(provider_id), "_settings": platform.settings}
    return _take(request, platform, actor, PROVIDER_STEPS.get(step), values, "/cloud",
                 InvalidInput("no action {action!r} on a cloud provider", action=step))  # fmt: skip
