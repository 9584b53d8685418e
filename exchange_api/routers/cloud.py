"""The government cloud over HTTP (R29-R33): providers and their catalogs, applications and their
decisions, work orders, trial and go-live. A provider's staff reach only the work-order routes."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response, status

from cloud import (
    applications,
    changes,
    providers,
    settlement,
    trial,
    utilisation,
    work_orders,
)
from cloud.applications import ApplicationDraft, Line
from cloud.providers import ServiceDraft
from exchange.actions import ACTIONS
from exchange.errors import NotFound
from exchange.identity.roles import Role
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES, api_language
from exchange_api.schemas.cloud import (
    ApplicationCreate,
    ApplicationPublic,
    ChangeCreate,
    ChangeDecision,
    ChangePublic,
    Decision,
    ExitCreate,
    Extension,
    FeeLinePublic,
    IncidentCreate,
    LateReport,
    Leaving,
    MlpsReport,
    Opening,
    ProviderCreate,
    ProviderPublic,
    Rating,
    RightsizingPublic,
    ServiceIn,
    ServicePublic,
    SettlementPublic,
    TestReport,
    TestReview,
    WipeCertificate,
    WorkOrderPublic,
)

router = APIRouter(prefix="/api/v1/cloud", tags=["cloud"], responses=ERROR_RESPONSES)
APPLICATION = "/applications/{application_id}"


def _service(body: ServiceIn) -> ServiceDraft:
    return ServiceDraft(**body.model_dump())


@router.post("/providers", status_code=status.HTTP_201_CREATED, summary="Register a provider")
def register_provider(
    body: ProviderCreate, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProviderPublic:
    provider = providers.register_provider(
        session, actor=actor, now=platform.clock.now(), department_code=body.department_code,
        contract_number=body.contract_number, contract_from=body.contract_from,
        contract_to=body.contract_to, services=[_service(s) for s in body.services],
    )  # fmt: skip
    return ProviderPublic.model_validate(provider)


@router.get("/providers/{provider_id}/services", summary="A provider's service catalog")
def list_services(
    provider_id: int, actor: CurrentPrincipal, session: DbSession
) -> list[ServicePublic]:
    provider = providers.get_provider(session, provider_id)
    if Role.CLOUD_PROVIDER in actor.roles and provider.department_id != actor.department_id:
        raise NotFound("no cloud provider {provider_id}", provider_id=provider_id)  # prices
    return [ServicePublic.model_validate(s) for s in providers.services_of(session, provider_id)]


@router.post("/providers/{provider_id}/services", status_code=status.HTTP_201_CREATED,
             summary="File a supplementary service")  # fmt: skip
def file_service(
    provider_id: int, body: ServiceIn, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ServicePublic:  # fmt: skip
    service = providers.file_service(session, actor=actor, now=platform.clock.now(),
                                     provider_id=provider_id, draft=_service(body))  # fmt: skip
    return ServicePublic.model_validate(service)


@router.post("/applications", status_code=status.HTTP_201_CREATED, summary="Apply (R29)")
def apply(
    body: ApplicationCreate, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ApplicationPublic:
    values = body.model_dump()
    values["lines"] = [Line(**line) for line in values["lines"]]
    application = applications.apply(session, actor=actor, env=platform.workflow_environment(session),
                                     draft=ApplicationDraft(**values))  # fmt: skip
    return ApplicationPublic.model_validate(application)


@router.get("/applications", summary="My unit's applications; the bureau sees all")
def list_applications(actor: CurrentPrincipal, session: DbSession) -> list[ApplicationPublic]:
    return [ApplicationPublic.model_validate(a) for a in applications.visible(session, actor)]


@router.get(APPLICATION, summary="One application")
def get_application(
    application_id: int, actor: CurrentPrincipal, session: DbSession
) -> ApplicationPublic:
    return ApplicationPublic.model_validate(
        applications.get_application(session, application_id, actor)
    )


@router.post(APPLICATION + "/decision", summary="Accept, refuse, approve or resubmit (R30)")
def decide(
    application_id: int, body: Decision, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ApplicationPublic:  # fmt: skip
    application = applications.decide(session, actor=actor, env=platform.workflow_environment(session),
                                      application_id=application_id, action=body.action,
                                      reason=body.reason)  # fmt: skip
    return ApplicationPublic.model_validate(application)


@router.post(APPLICATION + "/work-order", status_code=status.HTTP_201_CREATED,
             summary="Send the work order to the provider (R30)")  # fmt: skip
def issue_work_order(
    application_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> WorkOrderPublic:
    order = work_orders.issue(session, actor=actor, env=platform.workflow_environment(session),
                              application_id=application_id)  # fmt: skip
    return WorkOrderPublic.model_validate(order)


@router.post(APPLICATION + "/trial-extension", summary="Extend a major system's trial (R31)")
def extend_trial(
    application_id: int, body: Extension, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ApplicationPublic:  # fmt: skip
    application = trial.extend_trial(session, actor=actor, env=platform.workflow_environment(session),
                                     application_id=application_id, days=body.days,
                                     expert_opinion=body.expert_opinion)  # fmt: skip
    return ApplicationPublic.model_validate(application)


@router.post(APPLICATION + "/test-report", summary="File the trial's test report (R31)")
def file_test(
    application_id: int, body: TestReport, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ApplicationPublic:  # fmt: skip
    application = trial.file_test(session, actor=actor, env=platform.workflow_environment(session),
                                  application_id=application_id, report=body.report,
                                  third_party_report=body.third_party_report)  # fmt: skip
    return ApplicationPublic.model_validate(application)


@router.post(APPLICATION + "/test-review", summary="Pass into production or send back (R31)")
def review_test(
    application_id: int, body: TestReview, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ApplicationPublic:  # fmt: skip
    application = trial.review_test(session, actor=actor, env=platform.workflow_environment(session),
                                    application_id=application_id, passed=body.passed,
                                    note=body.note)  # fmt: skip
    return ApplicationPublic.model_validate(application)


@router.get("/work-orders", summary="Work orders: a provider's own, a unit's, or all")
def list_work_orders(actor: CurrentPrincipal, session: DbSession) -> list[WorkOrderPublic]:
    return [WorkOrderPublic.model_validate(o) for o in work_orders.visible(session, actor)]


@router.get("/work-orders/{order_id}", summary="One work order")
def get_work_order(order_id: int, actor: CurrentPrincipal, session: DbSession) -> WorkOrderPublic:
    return WorkOrderPublic.model_validate(work_orders.get_order(session, order_id, actor))


@router.post("/work-orders/{order_id}/opening", summary="The provider opened the resources (R30)")
def open_resources(
    order_id: int, body: Opening, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> WorkOrderPublic:  # fmt: skip
    order = work_orders.open_resources(session, actor=actor, env=platform.workflow_environment(session),
                                       order_id=order_id, resource_ids=body.resource_ids)  # fmt: skip
    return WorkOrderPublic.model_validate(order)


@router.post("/work-orders/{order_id}/rating", summary="The unit rates the work (R33)")
def rate(
    order_id: int, body: Rating, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> WorkOrderPublic:
    order = work_orders.rate(session, actor=actor, now=platform.clock.now(), order_id=order_id,
                             satisfaction=body.satisfaction)  # fmt: skip
    return WorkOrderPublic.model_validate(order)


@router.post(APPLICATION + "/changes", status_code=status.HTTP_201_CREATED,
             summary="Ask to change the system's resources (R32)")  # fmt: skip
def request_change(
    application_id: int, body: ChangeCreate, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ChangePublic:  # fmt: skip
    change = changes.request_change(
        session, actor=actor, env=platform.workflow_environment(session),
        application_id=application_id, description=body.description,
        lines=[line.model_dump() for line in body.lines], major=body.major,
    )  # fmt: skip
    return ChangePublic.model_validate(change)


@router.post(APPLICATION + "/exit", status_code=status.HTTP_201_CREATED,
             summary="Ask to leave the cloud, the data migrated out (R32)")  # fmt: skip
def request_exit(
    application_id: int, body: ExitCreate, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ChangePublic:  # fmt: skip
    change = changes.request_exit(session, actor=actor, env=platform.workflow_environment(session),
                                  application_id=application_id, description=body.description,
                                  data_migrated=body.data_migrated)  # fmt: skip
    return ChangePublic.model_validate(change)


@router.post("/changes/{change_id}/decision", summary="Approve or refuse a change or an exit")
def decide_change(
    change_id: int, body: ChangeDecision, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ChangePublic:  # fmt: skip
    change = changes.decide(session, actor=actor, env=platform.workflow_environment(session),
                            change_id=change_id, approve=body.approve, reply=body.reply)  # fmt: skip
    return ChangePublic.model_validate(change)


@router.post("/changes/{change_id}/confirmation", summary="The unit confirms its exit (R32)")
def confirm_exit(
    change_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ChangePublic:
    change = changes.confirm_exit(session, actor=actor, env=platform.workflow_environment(session),
                                  change_id=change_id)  # fmt: skip
    return ChangePublic.model_validate(change)


@router.post("/work-orders/{order_id}/change-done", summary="The provider made the change")
def change_done(
    order_id: int, body: Opening, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ChangePublic:  # fmt: skip
    change = changes.carry_out(session, actor=actor, env=platform.workflow_environment(session),
                               order_id=order_id, resource_ids=body.resource_ids)  # fmt: skip
    return ChangePublic.model_validate(change)


@router.post("/work-orders/{order_id}/wipe", summary="The provider reclaimed and wiped (R32)")
def certify_wipe(
    order_id: int, body: WipeCertificate, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ChangePublic:  # fmt: skip
    change = changes.certify_wipe(session, actor=actor, env=platform.workflow_environment(session),
                                  order_id=order_id, certificate=body.certificate)  # fmt: skip
    return ChangePublic.model_validate(change)


SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/settlements/{year}", summary="The year's fees per unit and provider (R33)",
            response_model=list[SettlementPublic])  # fmt: skip
def settle(
    request: Request, year: Annotated[int, Path(ge=1900, le=9998)], actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform, format: Literal["json", "csv", "xlsx"] = "json",
) -> Response | list[SettlementPublic]:  # fmt: skip
    statements = settlement.settle(session, actor=actor, year=year, zone=platform.settings.zone)
    language = api_language(request)
    name = f'attachment; filename="cloud-fees-{year}.{format}"'
    if format == "csv":
        return Response(settlement.to_csv(statements, language), media_type="text/csv",
                        headers={"Content-Disposition": name})  # fmt: skip
    if format == "xlsx":
        return Response(settlement.to_xlsx(statements, year, language), media_type=SPREADSHEET,
                        headers={"Content-Disposition": name})  # fmt: skip
    return [SettlementPublic(year=s.year, provider=s.provider, unit=s.unit, total_fen=s.total_fen,
                             lines=[FeeLinePublic(system=line.system, service=line.service,
                                                  quantity=line.quantity, days=line.days,
                                                  price_fen=line.price_fen, fee_fen=line.fee_fen)
                                    for line in s.lines])
            for s in statements]  # fmt: skip


@router.post("/providers/{provider_id}/utilisation-reports", summary="Collect a provider's reports")
def connect_reports(
    provider_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> dict[str, str]:
    """The catalog entry and file drop the provider's monthly reports are collected from (R33)."""
    code = utilisation.connect_reports(session, actor=actor, env=platform.workflow_environment(session),
                                       settings=platform.settings, provider_id=provider_id)  # fmt: skip
    return {"resource_code": code}


@router.get("/rightsizing", summary="Idle and over-provisioned resources of a month (R33)")
def rightsizing(
    month: str, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> list[RightsizingPublic]:
    found = utilisation.rightsizing(session, actor=actor, settings=platform.settings,
                                    month=month)  # fmt: skip
    return [RightsizingPublic(**f.__dict__) for f in found]


@router.get("/late-reports", summary="Monthly utilisation reports missing after the 5th (R33)")
def late_reports(
    actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> list[LateReport]:
    ACTIONS.require(actor, "other", "cloud_application", "review",
                    explain="the bureau's cloud reviewers follow the providers' reports")  # fmt: skip
    late = utilisation.late_reports(session, settings=platform.settings, now=platform.clock.now())
    return [LateReport(provider_id=provider, month=month) for provider, month in late]


@router.post(APPLICATION + "/mlps", summary="File the MLPS assessment, due 6 months in (R31)")
def file_mlps(
    application_id: int, body: MlpsReport, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ApplicationPublic:  # fmt: skip
    application = trial.file_mlps(session, actor=actor, env=platform.workflow_environment(session),
                                  application_id=application_id, report=body.report)  # fmt: skip
    return ApplicationPublic.model_validate(application)


@router.post("/providers/{provider_id}/incidents", status_code=status.HTTP_201_CREATED,
             summary="Record a provider's incident (R33)")  # fmt: skip
def record_incident(
    provider_id: int, body: IncidentCreate, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> dict[str, int]:  # fmt: skip
    incident = providers.record_incident(session, actor=actor, now=platform.clock.now(),
                                         provider_id=provider_id, occurred_on=body.occurred_on,
                                         description=body.description)  # fmt: skip
    return {"id": incident.id}


@router.post("/providers/{provider_id}/leaving", summary="A provider leaves, after its transition")
def announce_leaving(
    provider_id: int, body: Leaving, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProviderPublic:  # fmt: skip
    provider = providers.announce_leaving(
        session, actor=actor, now=platform.clock.now(), provider_id=provider_id,
        leaving_on=body.leaving_on,
        transition=platform.settings.deadline_span("cloud_provider_transition"),
    )  # fmt: skip
    return ProviderPublic.model_validate(provider)
