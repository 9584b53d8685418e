"""The project register's tables (R24-R28)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base
from exchange.deadlines.service import Assignment
from exchange.i18n import Message
from exchange.identity.roles import Role

COMPLETION = "project_completion"
INITIAL_REVIEW = "project_initial_review"
EXPERT_REVIEW = "project_expert_review"


class AnnualPlan(Base):
    """The year's plan of information-system projects (R24): compiled by the bureau with the
    development-and-reform and finance offices, then approved."""

    __tablename__ = "project_plans"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(12))
    # Each office endorses the compiled plan before the bureau approves it.
    reform_endorsed_by: Mapped[str | None] = mapped_column(String(100))
    reform_endorsed_at: Mapped[datetime | None]
    finance_endorsed_by: Mapped[str | None] = mapped_column(String(100))
    finance_endorsed_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))


class Project(Base):
    """A department's information-system project, from its proposal to its evaluation."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    plan_year: Mapped[int]
    in_plan: Mapped[bool] = mapped_column(default=False)
    # Outside the plan only when the government approved it as urgent (R24): its approval, cited.
    urgent_approval: Mapped[str | None] = mapped_column(Text)
    upgrades_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    state: Mapped[str] = mapped_column(String(20))
    proposed_at: Mapped[datetime]
    # The application form (R25): investment and funding in yuan, period, responsible persons.
    investment: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    funding: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    construction_months: Mapped[int | None]
    persons: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    commitment_signed_by: Mapped[str | None] = mapped_column(String(100))
    commitment_signed_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    resubmit_after: Mapped[date | None]  # R25: a returned project waits 3 months
    approval_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    approved_at: Mapped[datetime | None]
    review_reply: Mapped[str | None] = mapped_column(Text)
    tender_date: Mapped[date | None]
    tender_filed_at: Mapped[datetime | None]
    tender_filed_late: Mapped[bool | None]  # more than 30 days after the tender (R26)
    initially_accepted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    evaluation_due: Mapped[date | None]
    evaluation_passed: Mapped[bool | None]
    evaluation_filed_at: Mapped[datetime | None]
    rectified_at: Mapped[datetime | None]

    @property
    def total_investment(self) -> int:
        return sum(int(v) for v in self.investment.values())

    def deadline_assignment(self, kind: str) -> Assignment:
        if kind == COMPLETION:
            return Assignment(self.department_id, Role.PROJECT_OFFICER, Role.PROJECT_REVIEWER)
        return Assignment(None, Role.PROJECT_REVIEWER, Role.BUREAU_ADMIN)

    def deadline_title(self, kind: str) -> Message:
        if kind == COMPLETION:
            return Message("Complete the materials of project {name}", name=self.name)
        if kind == EXPERT_REVIEW:
            return Message("Expert review of project {name}", name=self.name)
        return Message("Initial review of project {name}", name=self.name)


class ProjectDocument(Base):
    """A file of the application, kept as uploaded with its SHA-256; never altered."""

    __tablename__ = "project_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(100))


class SharingLine(Base):
    """A line of the resource-sharing list (信息资源共享清单): a resource the project produces and
    will share, with its promised items and share types, or one it needs from the catalog."""

    __tablename__ = "project_sharing_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    # A needed resource's catalog code; a produced one's once it is registered.
    resource_code: Mapped[str | None] = mapped_column(String(20))
    # Produced: [{name, label, share_type, legal_basis, element}], the promise checked at acceptance.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ProjectChange(Base):
    """R26: a change to an approved project's technical plan or investment, asked for by the unit
    and approved or refused by the bureau; a change made without approval makes the project not
    acceptable."""

    __tablename__ = "project_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    # The new investment and funding splits, when the change is to the investment.
    investment: Mapped[dict[str, int] | None] = mapped_column(JSON)
    funding: Mapped[dict[str, int] | None] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    approved: Mapped[bool | None]
    reply: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]


class Expert(Base):
    """A member of the bureau's expert library, with the fields they review."""

    __tablename__ = "project_experts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    fields: Mapped[list[str]] = mapped_column(JSON)


class ExpertOpinion(Base):
    """An expert assigned to a project's technical review, and the opinion they file."""

    __tablename__ = "project_expert_opinions"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime]
    opinion: Mapped[str | None] = mapped_column(Text)
    supports: Mapped[bool | None]
    filed_at: Mapped[datetime | None]


class SharingCheck(Base):
    """The sharing check run before an acceptance (R27): each veto with its evidence."""

    __tablename__ = "project_sharing_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    checked_at: Mapped[datetime]
    passed: Mapped[bool]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class FundingFlag(Base):
    """R27: a unit whose published catalog shrank below what its accepted projects promised; its
    operation and maintenance funds are withheld on the bureau's opinion until it is restored."""

    __tablename__ = "project_funding_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    raised_at: Mapped[datetime]
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    lifted_at: Mapped[datetime | None]
    # The finance office's decision on the bureau's opinion: funds withheld, or not, and why.
    withheld: Mapped[bool | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
