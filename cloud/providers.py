"""Cloud providers and their service catalogs (R32, R33): the bureau registers a contracted
provider (a contract of at most 3 years); the provider files supplementary services; every price
stays under its ceiling."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.models import CloudIncident, CloudProvider, ProviderService
from cloud.vocab import ResourceKind
from exchange import audit
from exchange.actions import ACTIONS, relation_of
from exchange.errors import Conflict, InvalidInput, NotFound
from exchange.identity.models import Department
from exchange.identity.roles import DepartmentKind
from exchange.principal import Principal
from exchange.workdays.spans import Span, TimeUnit, add_months

CONTRACT_YEARS = 3


@dataclass(frozen=True)
class ServiceDraft:
    code: str
    name: str
    kind: ResourceKind
    unit: str
    price_per_day_fen: int
    ceiling_per_day_fen: int


def register_provider(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    department_code: str,
    contract_number: str,
    contract_from: date,
    contract_to: date,
    services: list[ServiceDraft],
) -> CloudProvider:
    """A contracted provider with the basic items of its contract."""
    ACTIONS.require(actor, "other", "cloud_provider", "register",
                    explain="the bureau's administrators register cloud providers")  # fmt: skip
    department = session.scalar(select(Department).where(Department.code == department_code))
    if department is None or department.kind != DepartmentKind.ENTERPRISE:
        raise InvalidInput(
            "a cloud provider is an enterprise registered on the platform: {code} is not one",
            detail={"field": "department_code"},
            code=department_code,
        )
    if contract_to <= contract_from or contract_to > add_months(contract_from, 12 * CONTRACT_YEARS):
        raise InvalidInput(
            "a provider's contract runs at most 3 years (R32)", detail={"field": "contract_to"}
        )
    if session.scalar(select(CloudProvider.id).where(CloudProvider.department_id == department.id)):
        raise Conflict("{code} is a registered provider already", code=department_code)
    provider = CloudProvider(department_id=department.id, contract_number=contract_number.strip(),
                             contract_from=contract_from, contract_to=contract_to,
                             registered_at=now)  # fmt: skip
    session.add(provider)
    session.flush()
    for draft in services:
        _add_service(session, provider, draft, now, supplementary=False)
    audit.record(session, at=now, actor=actor, action="cloud.provider.register",
                 object_type="cloud_provider", object_id=provider.id,
                 detail={"department": department_code, "contract": contract_number,
                         "services": [s.code for s in services]})  # fmt: skip
    return provider


def file_service(
    session: Session, *, actor: Principal, now: datetime, provider_id: int, draft: ServiceDraft
) -> ProviderService:
    """A supplementary item of a provider's catalog, filed with the bureau."""
    provider = get_provider(session, provider_id)
    ACTIONS.require(actor, relation_of(actor, provider_id=provider.department_id), "cloud_service",
                    "file", explain="a provider files its own services; the bureau any")  # fmt: skip
    service = _add_service(session, provider, draft, now, supplementary=True)
    audit.record(session, at=now, actor=actor, action="cloud.service.file",
                 object_type="cloud_service", object_id=service.id,
                 detail={"provider": provider_id, "code": draft.code,
                         "price_per_day_fen": draft.price_per_day_fen})  # fmt: skip
    return service


def _add_service(
    session: Session, provider: CloudProvider, draft: ServiceDraft, now: datetime, *,
    supplementary: bool,
) -> ProviderService:  # fmt: skip
    if not draft.code.strip() or not draft.name.strip() or not draft.unit.strip():
        raise InvalidInput("a service has a code, a name and a unit", detail={"field": "services"})
    if not 0 < draft.price_per_day_fen <= draft.ceiling_per_day_fen:
        raise InvalidInput(
            "the price of {code} must be above zero and not above its ceiling",
            detail={"field": "price_per_day_fen"},
            code=draft.code,
        )
    taken = session.scalar(
        select(ProviderService.id).where(
            ProviderService.provider_id == provider.id, ProviderService.code == draft.code
        )
    )
    if taken is not None:
        raise Conflict("the provider's catalog has a service {code} already", code=draft.code)
    service = ProviderService(provider_id=provider.id, code=draft.code.strip(),
                              name=draft.name.strip(), kind=draft.kind, unit=draft.unit.strip(),
                              price_per_day_fen=draft.price_per_day_fen,
                              ceiling_per_day_fen=draft.ceiling_per_day_fen,
                              supplementary=supplementary, filed_at=now)  # fmt: skip
    session.add(service)
    session.flush()
    return service


def get_provider(session: Session, provider_id: int) -> CloudProvider:
    provider = session.get(CloudProvider, provider_id)
    if provider is None:
        raise NotFound("no cloud provider {provider_id}", provider_id=provider_id)
    return provider


def services_of(session: Session, provider_id: int) -> list[ProviderService]:
    return list(
        session.scalars(
            select(ProviderService)
            .where(ProviderService.provider_id == provider_id)
            .order_by(ProviderService.code)
        )
    )


def record_incident(
    session: Session, *, actor: Principal, now: datetime, provider_id: int, occurred_on: date,
    description: str,
) -> CloudIncident:  # fmt: skip
    """The bureau records a provider's incident (R33)."""
    ACTIONS.require(actor, "other", "cloud_application", "review",
                    explain="the bureau's cloud reviewers record providers' incidents")  # fmt: skip
    get_provider(session, provider_id)
    if not description.strip():
        raise InvalidInput("describe the incident", detail={"field": "description"})
    incident = CloudIncident(provider_id=provider_id, occurred_on=occurred_on,
                             description=description.strip(), recorded_by=actor.username,
                             recorded_at=now)  # fmt: skip
    session.add(incident)
    session.flush()
    audit.record(session, at=now, actor=actor, action="cloud.incident.record",
                 object_type="cloud_provider", object_id=provider_id,
                 detail={"occurred_on": occurred_on.isoformat()})  # fmt: skip
    return incident


def announce_leaving(
    session: Session, *, actor: Principal, now: datetime, provider_id: int, leaving_on: date,
    transition: Span,
) -> CloudProvider:  # fmt: skip
    """A provider leaving gives its units at least the transition (3 months) to migrate (R32)."""
    ACTIONS.require(actor, "other", "cloud_provider", "register",
                    explain="the bureau's administrators record a provider's departure")  # fmt: skip
    provider = get_provider(session, provider_id)
    earliest = add_months(now.date(), transition.amount) if transition.unit == TimeUnit.MONTHS \
        else now.date()  # fmt: skip
    if leaving_on < earliest:
        raise InvalidInput(
            "a provider leaves no earlier than {earliest}: its units get {transition} to migrate",
            detail={"field": "leaving_on"}, earliest=earliest.isoformat(),
            transition=str(transition),
        )  # fmt: skip
    provider.leaving_on = leaving_on
    audit.record(session, at=now, actor=actor, action="cloud.provider.leaving",
                 object_type="cloud_provider", object_id=provider_id,
                 detail={"leaving_on": leaving_on.isoformat()})  # fmt: skip
    return provider
