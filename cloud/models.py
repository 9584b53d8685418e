"""The government cloud's tables (R29-R33)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base
from exchange.deadlines.service import Assignment
from exchange.i18n import Message
from exchange.identity.roles import Role

ACCEPTANCE = "cloud_acceptance"
APPROVAL = "cloud_approval"
WORK_ORDER = "cloud_work_order"
PROVISIONING = "cloud_provisioning"
TRIAL = "cloud_trial"
TEST_REVIEW = "cloud_test_review"
MLPS = "cloud_mlps_assessment"
CHANGE_REVIEW = "cloud_change_review"
CHANGE_DONE = "cloud_change_done"
EXIT_REVIEW = "cloud_exit_review"
RECLAIM = "cloud_reclaim"
# What a work order of each kind starts: the provider's limit for that kind of work.
WORK_DEADLINES = {"open": PROVISIONING, "change": CHANGE_DONE, "reclaim": RECLAIM}


class CloudProvider(Base):
    """A contracted cloud provider: an organisation on the platform (its own department, kind
    enterprise, whose staff hold the cloud_provider role), under a contract of at most 3 years."""

    __tablename__ = "cloud_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), unique=True)
    contract_number: Mapped[str] = mapped_column(String(60))
    contract_from: Mapped[date]
    contract_to: Mapped[date]
    registered_at: Mapped[datetime]
    # R32: a provider leaving gives at least 3 months of transition to migrate its units.
    leaving_on: Mapped[date | None]
    # R33: the catalog entry its monthly utilisation reports are collected into.
    utilisation_resource: Mapped[str | None] = mapped_column(String(32))


class ProviderService(Base):
    """A line of a provider's service catalog: a basic item of the contract, or a supplementary
    one filed with the bureau later; priced per unit and day, never above its ceiling."""

    __tablename__ = "cloud_services"
    __table_args__ = (UniqueConstraint("provider_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("cloud_providers.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))  # e.g. 核, GB, Mbps
    price_per_day_fen: Mapped[int]  # the contracted price, in fen per unit and day
    ceiling_per_day_fen: Mapped[int]
    supplementary: Mapped[bool] = mapped_column(default=False)
    filed_at: Mapped[datetime]


class CloudApplication(Base):
    """A unit's application for cloud resources for one system (R29), through acceptance,
    approval, the provider's work order, trial and go-live (R30, R31)."""

    __tablename__ = "cloud_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("cloud_providers.id"), index=True)
    system_name: Mapped[str] = mapped_column(String(200))
    construction_plan: Mapped[str] = mapped_column(Text)
    self_test_report: Mapped[str] = mapped_column(Text)
    security_letter_signed_by: Mapped[str] = mapped_column(String(100))
    persons: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    investment_yuan: Mapped[int | None]
    approval_document: Mapped[str] = mapped_column(String(30))
    approval_reference: Mapped[str] = mapped_column(Text)
    # R29: the catalog entries the system provides and uses, and how it connects to sharing.
    provides: Mapped[list[str]] = mapped_column(JSON, default=list)
    uses: Mapped[list[str]] = mapped_column(JSON, default=list)
    sharing_connection: Mapped[str] = mapped_column(Text)
    mlps_level: Mapped[int]
    major: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime]
    refusal: Mapped[str | None] = mapped_column(Text)
    approval_opinion: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime | None]
    trial_extended_days: Mapped[int] = mapped_column(default=0)
    test_report: Mapped[str | None] = mapped_column(Text)
    third_party_report: Mapped[str | None] = mapped_column(Text)
    test_review: Mapped[str | None] = mapped_column(Text)
    production_at: Mapped[datetime | None]
    mlps_due: Mapped[date | None]
    # R31: a migrated system keeps its old environment as a fallback until then.
    fallback_until: Mapped[date | None]
    mlps_report: Mapped[str | None] = mapped_column(Text)
    mlps_filed_at: Mapped[datetime | None]
    # Version counter: two reviewers deciding at once cannot both commit.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)

    def deadline_assignment(self, kind: str) -> Assignment:
        if kind in (TRIAL, MLPS):
            return Assignment(self.department_id, Role.PROJECT_OFFICER, Role.CLOUD_REVIEWER)
        return Assignment(None, Role.CLOUD_REVIEWER, Role.BUREAU_ADMIN)

    def deadline_title(self, kind: str) -> Message:
        return {
            ACCEPTANCE: Message("Accept or refuse cloud application {id}", id=self.id),
            APPROVAL: Message("Give the approval opinion on cloud application {id}", id=self.id),
            WORK_ORDER: Message("Send the work order of cloud application {id}", id=self.id),
            TRIAL: Message("File the trial test report of {system}", system=self.system_name),
            TEST_REVIEW: Message("Review the test report of {system}", system=self.system_name),
            MLPS: Message("Complete the MLPS assessment of {system}", system=self.system_name),
        }[kind]


class ApplicationLine(Base):
    """One resource asked for, from the provider's catalog, with its elastic peak. A change
    closes the line and opens another, so the lines are the history of what was held."""

    __tablename__ = "cloud_application_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("cloud_applications.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("cloud_services.id"))
    quantity: Mapped[int]
    elastic_peak: Mapped[int | None]
    # While the unit holds the resource (opened, until a change replaces the line or the exit
    # reclaims it): the days that are settled (R33).
    held_from: Mapped[datetime | None]
    held_to: Mapped[datetime | None]


class WorkOrder(Base):
    """What the bureau asks a provider to do for an application: open its resources (R30)."""

    __tablename__ = "cloud_work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("cloud_applications.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("cloud_providers.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    unit_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(20))  # open, change or reclaim
    change_id: Mapped[int | None] = mapped_column(ForeignKey("cloud_changes.id"))
    state: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(100))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(100))
    resource_ids: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    rated_at: Mapped[datetime | None]

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(self.provider_department_id, Role.CLOUD_PROVIDER, Role.CLOUD_REVIEWER)

    def deadline_title(self, kind: str) -> Message:
        if kind == CHANGE_DONE:
            return Message("Carry out the change of work order {id}", id=self.id)
        if kind == RECLAIM:
            return Message("Reclaim the resources of work order {id} and wipe the data", id=self.id)
        return Message("Open the resources of work order {id}", id=self.id)


class CloudChange(Base):
    """A change to an application's resources, or its exit (R32): requested by the unit,
    reviewed by the bureau, carried out by the provider; an exit ends with the wipe certified by
    the provider and confirmed by the unit."""

    __tablename__ = "cloud_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("cloud_applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the new lines
    major: Mapped[bool] = mapped_column(default=False)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)
    wipe_certificate: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None]

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(None, Role.CLOUD_REVIEWER, Role.BUREAU_ADMIN)

    def deadline_title(self, kind: str) -> Message:
        if kind == EXIT_REVIEW:
            return Message("Review the exit of cloud application {id}", id=self.application_id)
        return Message("Review change {id} of a cloud application", id=self.id)


class CloudIncident(Base):
    """An availability, stability or security incident of a provider, recorded by the bureau:
    the quality part of the provider's assessment (R33)."""

    __tablename__ = "cloud_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("cloud_providers.id"), index=True)
    occurred_on: Mapped[date]
    description: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
