from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import Base


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_changed_at: Mapped[datetime | None]
    # A password someone else set (a new account, a reset): its holder changes it at sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    previous_password_hashes: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    department: Mapped[Department] = relationship(lazy="joined")
    role_rows: Mapped[list["UserRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class RoleTerm(Base):
    """One person's term in one role, from when to when: the register of who held which role.
    A department's data resource administrator (数据资源管理员, registered with the bureau and
    replaced when staff change) is read from here, so the register and the roles cannot disagree."""

    __tablename__ = "role_terms"
    __table_args__ = (Index("ix_role_terms_role_department", "role", "department_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    recorded_by: Mapped[str] = mapped_column(String(100))


class ApiToken(Base):
    """A bearer token. Only a SHA-256 hash of the secret is kept; the secret is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    # A portal session ends after this many minutes without use (R21); API tokens have none.
    idle_minutes: Mapped[int | None]
    idle_until: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class SecondFactor(Base):
    """A user's TOTP second factor (R21, RFC 6238): its secret sealed with the platform's key, the
    last time step used (a code is good once), and the hashes of the unused recovery codes."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    sealed_secret: Mapped[str] = mapped_column(Text)
    enrolled_at: Mapped[datetime | None]  # None until the first code confirms the enrolment
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)


class SignInThrottle(Base):
    """Recent failed sign-ins for one user name or one client address (``key`` says which), and
    until when further attempts are refused without looking at the password."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]
