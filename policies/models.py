"""Access requests (R14), the grants they become, disputes before the coordinating office, and
the suspension of a late department's grants (R11)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, object_session

from catalog.models import Resource, ResourceVersion
from exchange.db import Base
from exchange.deadlines.service import Assignment
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.worklist.service import HandOff
from policies.vocab import access_of

REVIEW = "access_review"
RULING = "dispute_ruling"


class AccessRequest(Base):
    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    items: Mapped[list[str]] = mapped_column(JSON)
    purpose_code: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(Text)
    duty_basis: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(20))
    period_from: Mapped[date]
    period_to: Mapped[date]
    sensitive: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime]
    info_question: Mapped[str | None] = mapped_column(Text)
    info_answer: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    approved_items: Mapped[list[str] | None] = mapped_column(JSON)
    approved_mode: Mapped[str | None] = mapped_column(String(20))
    # How each item is asked for and approved: read, masked or verify (R3 "specific ways").
    item_access: Mapped[dict[str, str] | None] = mapped_column(JSON)
    approved_access: Mapped[dict[str, str] | None] = mapped_column(JSON)
    verify_quota: Mapped[int | None]
    row_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None]
    reject_code: Mapped[str | None] = mapped_column(String(40))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # Optimistic lock: of two reviewers deciding at the same moment, exactly one decision commits.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)

    @property
    def narrowed(self) -> bool:
        return self.state == "approved" and (
            set(self.approved_items or []) != set(self.items)
            or (self.approved_mode or self.mode) != self.mode
            or any(
                access_of(self.approved_access, item) != access_of(self.item_access, item)
                for item in self.approved_items or []
            )
        )

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(self.provider_department_id, Role.DATA_REVIEWER, Role.COORDINATING_OFFICE)

    def deadline_title(self, kind: str) -> Message:
        """Names a reviewer recognises in a work list: who asks, for which resource."""
        return Message("Decide the request of {consumer} for {resource} ({code})", **self._names())

    def hand_off(self, action: str) -> HandOff | None:
        """Who acts next (R14): the provider's reviewers decide a filed or answered request, its
        data resource administrator reviews confidentiality, the consumer who filed it answers a
        question and hears the decision."""
        names = self._names()
        link = f"/access/requests/{self.id}"
        review = self.deadline_assignment(REVIEW)  # the reviewers the deadline binds
        if action in ("submit", "answer"):
            return HandOff(
                "access_request.review",
                self.deadline_title(REVIEW),
                Message(
                    "{consumer} asks for {resource} ({code}): decide within the deadline "
                    "shown in your work list (R14).",
                    **names,
                ),
                link,
                role=Role(str(review.role)),
                department_id=review.department_id,
            )
        if action == "approve_pending_review":
            return HandOff(
                "access_request.confidentiality_review",
                Message(
                    "Confidentiality review of the request of {consumer} for {resource} ({code})",
                    **names,
                ),
                Message("The reviewer approved it pending your confidentiality review."),
                link,
                role=Role.DATA_RESOURCE_ADMIN,
                department_id=self.provider_department_id,
            )
        if action == "ask_info":
            return HandOff(
                "access_request.question",
                Message(
                    "Answer the question of {provider} about your request for {resource} ({code})",
                    **names,
                ),
                Message("The review is paused until you answer."),
                link,
                user_id=self.requested_by,
            )
        decided = {
            "approve": "{provider} approved your request for {resource} ({code})",
            "clear": "{provider} approved your request for {resource} ({code})",
            "reject": "{provider} rejected your request for {resource} ({code})",
            "refuse": "{provider} rejected your request for {resource} ({code})",
        }
        if action in decided:
            return HandOff(
                "access_request.decided",
                Message(decided[action], **names),
                Message("Open the request to see the decision and what you may read."),
                link,
                acknowledge=True,
                user_id=self.requested_by,
            )
        return None

    def _names(self) -> dict[str, str]:
        """The resource, its code and both departments, as people name them."""
        session = object_session(self)
        assert session is not None, "a request hands work on inside a transaction"
        code, name = session.execute(
            select(Resource.code, ResourceVersion.name)
            .join(ResourceVersion, ResourceVersion.resource_id == Resource.id)
            .where(Resource.id == self.resource_id)
            .order_by(ResourceVersion.number.desc())
            .limit(1)
        ).one()
        return {
            "resource": name,
            "code": code,
            "consumer": session.get_one(Department, self.consumer_department_id).name,
            "provider": session.get_one(Department, self.provider_department_id).name,
        }  # fmt: skip


class Grant(Base):
    """What a consumer department may read: from an approval, a ruling, or a statute (R4)."""

    __tablename__ = "access_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    items: Mapped[list[str]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(20))
    # Items opened masked or for verification only; the others read whole.
    item_access: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # Records a day the consumer may verify under this grant: verification is not enumeration.
    verify_quota: Mapped[int | None]
    # The key of the grant's pseudonyms: stable within the grant, different across grants.
    pseudonym_key: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)
    row_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    basis: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("access_requests.id"))
    citation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class Dispute(Base):
    """The consumer contests a rejection or a narrowing; the coordinating office rules."""

    __tablename__ = "access_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    ground: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime]
    ruled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ruled_at: Mapped[datetime | None]
    ruling_note: Mapped[str | None] = mapped_column(Text)
    granted_items: Mapped[list[str] | None] = mapped_column(JSON)

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(None, Role.COORDINATING_OFFICE, Role.BUREAU_ADMIN)

    def deadline_title(self, kind: str) -> Message:
        return Message(
            "Rule on dispute {id} (request {request_id})", id=self.id, request_id=self.request_id
        )


class DataUsage(Base):
    """One read of shared data (R16, R17): who read which items of whose resource, why, how much.
    Written in the same transaction as the read's audit record."""

    __tablename__ = "data_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grants.id"), index=True)
    basis: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    # read: values served whole; masked: some served masked; verify: claims checked, rows = records.
    access: Mapped[str] = mapped_column(String(10), default="read", server_default="read")
    purpose: Mapped[str] = mapped_column(Text)
    items: Mapped[list[str]] = mapped_column(JSON)
    rows: Mapped[int]
    snapshot_id: Mapped[int | None] = mapped_column(BigInteger)


class UseReport(Base):
    """R17: the consumer reports back how it used data received under a grant."""

    __tablename__ = "use_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id"), index=True)
    reported_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime]
    period_from: Mapped[date]
    period_to: Mapped[date]
    uses: Mapped[int]
    outcome: Mapped[str] = mapped_column(Text)


GRACE = "freshness_grace"


class Suspension(Base):
    """R11: a department whose resources miss their update cycle is warned; if its data is still
    late when the grace period (working days) ends, its own grants as a consumer are suspended.
    One row follows one episode from warning to its end (data fresh again, or a bureau decision)."""

    __tablename__ = "grant_suspensions"
    __table_args__ = (Index("ix_grant_suspensions_department_state", "department_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    state: Mapped[str] = mapped_column(String(20))  # warned, suspended, ended
    late_resources: Mapped[list[str]] = mapped_column(JSON)
    warned_at: Mapped[datetime]
    suspended_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))
    end_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def reason(self) -> Message:
        return Message(
            "its resources {resources} missed their update cycle (R11)",
            resources=", ".join(self.late_resources),
        )

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(self.department_id, Role.DATA_RESOURCE_ADMIN, Role.BUREAU_ADMIN)

    def deadline_title(self, kind: str) -> Message:
        return Message(
            "Update late data before grants are suspended: {resources}",
            resources=", ".join(self.late_resources),
        )
