"""Who is acting: a user of a department with roles, or the platform itself (CLI, scheduler)."""

from dataclasses import dataclass, field

from exchange.identity.roles import Role


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    department_id: int | None
    department_code: str | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    client_address: str | None = None

    @classmethod
    def system(cls, name: str) -> "Principal":
        """The platform acting on its own behalf, e.g. ``system:cli`` or ``system:sweep``."""
        return cls(None, f"system:{name}", None, None, frozenset(Role))

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def has_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)
