"""Catalog tables: resources and their immutable published versions, data items, and the bureau's
records for statutory sharing (R4) and authoritative sources (R8)."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import Base, StoredMessage
from exchange.deadlines.service import Assignment
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.worklist.service import HandOff


class Classification(Base):
    """A node of the catalog classification: 类 (1 digit), 项 (2), 目 (3), 细目 (3)."""

    __tablename__ = "catalog_classifications"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int]
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("catalog_classifications.code"))


class Resource(Base):
    """A data resource across all its versions. ``code`` is stable for its whole life."""

    __tablename__ = "catalog_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_versions.id", use_alter=True)
    )
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    retire_reason: Mapped[str | None] = mapped_column(Text)

    versions: Mapped[list["ResourceVersion"]] = relationship(
        back_populates="resource",
        foreign_keys="ResourceVersion.resource_id",
        order_by="ResourceVersion.number",
    )


class ResourceVersion(Base):
    """One version of an entry's metadata. Published versions are never changed again."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("resource_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))
    classification_code: Mapped[str] = mapped_column(ForeignKey("catalog_classifications.code"))
    abstract: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20))
    share_type: Mapped[str] = mapped_column(String(20))
    share_condition: Mapped[str | None] = mapped_column(Text)
    share_mode: Mapped[str] = mapped_column(String(20))
    open_to_public: Mapped[bool]
    open_condition: Mapped[str | None] = mapped_column(Text)
    update_cycle: Mapped[str] = mapped_column(String(20))
    share_scope: Mapped[str] = mapped_column(String(20))
    timeliness: Mapped[str | None] = mapped_column(String(100))
    provision_method: Mapped[str] = mapped_column(String(20))
    related_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    sensitive: Mapped[bool] = mapped_column(default=False)
    publication_date: Mapped[date | None]
    change_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    # Everyone who changed this version's content after creating it: each counts as an author (R1).
    edited_by: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)

    resource: Mapped[Resource] = relationship(back_populates="versions", foreign_keys=[resource_id])
    items: Mapped[list["DataItem"]] = relationship(
        cascade="all, delete-orphan", order_by="DataItem.position", lazy="selectin"
    )

    def hand_off(self, action: str) -> HandOff | None:
        """Who acts next (R1): the department's catalog reviewers review what was submitted; the
        registrar who submitted it revises what came back, and hears that it was published."""
        names = {"resource": self.name, "code": self.resource.code}
        link = f"/catalog/{self.resource.code}"
        registrar = self.submitted_by or self.created_by
        if action == "submit":
            return HandOff(
                "catalog.review",
                Message("Review the catalog entry {resource} ({code})", **names),
                Message(
                    "A registrar submitted {resource} ({code}) for review and publication.", **names
                ),
                link,
                role=Role.CATALOG_REVIEWER,
                department_id=self.resource.provider_department_id,
            )
        if action == "return":
            return HandOff(
                "catalog.returned",
                Message("Revise the returned catalog entry {resource} ({code})", **names),
                Message("The reviewer returned it; the reason is on the entry's page.", **names),
                link,
                user_id=registrar,
            )
        if action == "approve":
            return HandOff(
                "catalog.published",
                Message("Catalog entry {resource} ({code}) is published", **names),
                Message("Other departments now find it in the catalog.", **names),
                link,
                user_id=registrar,
                acknowledge=True,
            )
        return None


class DataItem(Base):
    """信息项: one column of a resource, with its own share type (R3)."""

    __tablename__ = "catalog_data_items"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(20))
    length: Mapped[int | None]
    precision: Mapped[int | None]
    required: Mapped[bool] = mapped_column(default=False)
    is_key: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(Text)
    sensitivity: Mapped[str] = mapped_column(String(20))
    share_type: Mapped[str] = mapped_column(String(20))
    share_condition: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    element: Mapped[str | None] = mapped_column(String(64), index=True)
    duplicate_justification: Mapped[str | None] = mapped_column(Text)
    value_format: Mapped[str | None] = mapped_column(String(20))
    allowed_values: Mapped[list[str] | None] = mapped_column(JSON)
    masking: Mapped[str | None] = mapped_column(String(40))


class StatutorySharing(Base):
    """R4: a law requires an item to be shared with a named department, whatever its class."""

    __tablename__ = "catalog_statutory_sharing"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    item_name: Mapped[str] = mapped_column(String(64))
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    citation: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AuthoritativeSource(Base):
    """R8, one data one source: the department authoritative for a data element."""

    __tablename__ = "catalog_authoritative_sources"

    element: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    recorded_at: Mapped[datetime]


class CatalogUpdateTask(Base):
    """R7: a key element changed; the provider must update the catalog within 3 working days."""

    __tablename__ = "catalog_update_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    state: Mapped[str] = mapped_column(String(12))
    origin: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    # Set when the platform wrote the description (drift it detected), for each reader's language.
    description_message: Mapped[Message | None] = mapped_column(StoredMessage)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_version_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_versions.id"))

    resource: Mapped[Resource] = relationship(lazy="joined")

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(self.provider_department_id, Role.CATALOG_REGISTRAR, Role.BUREAU_ADMIN)

    def deadline_title(self, kind: str) -> Message:
        return Message(
            "Update catalog entry {code}: {what}",
            code=self.resource.code,
            what=self.description_message or self.description[:80],
        )


class SearchEntry(Base):
    """The search index: one row per resource and audience, rebuilt whenever the entry changes.

    ``audience_department_id`` is NULL for what everyone may find (published and retired
    entries) and the provider for an entry never yet published (its drafts).
    """

    __tablename__ = "catalog_search"
    __table_args__ = (
        Index("ix_catalog_search_filters", "status", "share_type", "update_cycle"),
        Index("ix_catalog_search_provider", "provider_department_id"),
        Index("ix_catalog_search_class", "classification_code"),
    )

    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), primary_key=True)
    audience_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    abstract: Mapped[str] = mapped_column(Text)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    share_type: Mapped[str] = mapped_column(String(20))
    classification_code: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(1), index=True)
    update_cycle: Mapped[str] = mapped_column(String(20))
    open_to_public: Mapped[bool]
    status: Mapped[str] = mapped_column(String(12))
    published_at: Mapped[datetime | None]
    tokens: Mapped[str] = mapped_column(Text)


class SearchSynonyms(Base):
    """One group of words people use for the same thing (社保, 社会保险), kept by the bureau: a
    search for any of them finds entries naming another (R12)."""

    __tablename__ = "catalog_search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
