"""The portal's menu: grouped by the work people do, showing only what the person's roles can do.

Each entry names the action (from the action table) that makes the page useful; an entry anybody
signed in may use names none. A group with no entry left is not shown. The pages themselves still
ask the services, as the API does: hiding a link is for clarity, not for protection.
"""

from dataclasses import dataclass
from typing import cast

from exchange.actions import ACTIONS, Relation
from exchange.principal import Principal
from exchange_api.confinement import may_visit

# (object, action, relation of the person's department to the object)
Permission = tuple[str, str, Relation]


@dataclass(frozen=True)
class Entry:
    label: str  # an English message id, translated when shown
    href: str
    needs_any: tuple[Permission, ...] = ()


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    entries: tuple[Entry, ...]


def _any(*permissions: str) -> tuple[Permission, ...]:
    """``"object.action@relation"`` for each permission; without ``@``, city-wide."""
    parsed = []
    for permission in permissions:
        action, _, relation = permission.partition("@")
        obj, _, verb = action.partition(".")
        parsed.append((obj, verb, cast(Relation, relation or "other")))
    return tuple(parsed)


MENU: tuple[Group, ...] = (
    Group("work", "Workbench", (
        Entry("My work", "/"),
        Entry("Message centre", "/notifications"),
    )),
    Group("catalog", "Catalog management", (
        Entry("Catalog", "/catalog"),
        Entry("Register a resource", "/catalog/new", _any("catalog_entry.register@provider")),
        Entry("Import a catalog", "/catalog/import", _any("catalog_entry.register@provider")),
        Entry("Drafts to submit", "/catalog/drafts", _any("catalog_entry.submit@provider")),
        Entry("Catalog review", "/catalog/review", _any("catalog_entry.approve@provider")),
        Entry("Sources", "/sources", _any("source.manage@provider", "source.manage")),
    )),
    Group("sharing", "Sharing requests", (
        Entry("My requests", "/access/requests", _any("access_request.file@consumer")),
        Entry("Review inbox", "/access/inbox", _any(
            "access_request.approve@provider", "access_request.confidentiality_review@provider")),
        Entry("Grants", "/access/grants", _any(
            "access_request.file@consumer", "grant.revoke@provider", "grant.revoke")),
        Entry("Use of shared data", "/access/usage", _any(
            "usage.view@consumer", "usage.view@provider", "usage.view")),
        Entry("Disputes", "/access/disputes", _any("access_dispute.rule")),
    )),
    Group("quality", "Data quality", (
        Entry("Quality issues", "/quality", _any("quality.manage", "quality_issue.answer@provider")),
        Entry("Comparisons", "/quality/comparisons", _any("quality.manage")),
    )),
    Group("supervision", "Supervision and assessment", (
        Entry("Sharing dashboard", "/supervision/dashboard", _any(
            "supervision.enforce", "audit.search", "source.manage@provider")),
        Entry("Supervision", "/supervision/suspensions", _any("supervision.enforce")),
        Entry("Department scorecards", "/supervision/scorecards",
              _any("supervision.compute_scorecards")),
        Entry("Violations register", "/supervision/violations",
              _any("supervision.decide_violation")),
        Entry("Usage statements", "/supervision/usage-statements", _any(
            "supervision.generate_statements", "usage_statement.confirm@consumer")),
        Entry("Information-system projects", "/projects", _any(
            "project.propose@provider", "project.review", "project.give_opinion",
            "project_plan.compile", "project_plan.endorse_for_finance",
            "project_plan.endorse_for_reform", "project_funding.decide")),
        Entry("Government cloud", "/cloud", _any(
            "cloud_application.apply@provider", "cloud_application.review")),
        Entry("Work orders", "/cloud/work-orders", _any(
            "cloud_work_order.open@provider", "cloud_application.review")),
    )),
    Group("system", "System administration", (
        Entry("Users and roles", "/admin", _any("identity.manage", "identity.assign_roles")),
        Entry("Working-day calendar", "/admin/calendar", _any("platform.administer")),
        Entry("Search synonyms", "/admin/synonyms", _any("catalog.govern")),
        Entry("Audit log", "/audit", _any("audit.search")),
        Entry("My API tokens", "/account/tokens"),
        Entry("Change password", "/account/password"),
    )),
)  # fmt: skip


def menu_for(principal: Principal) -> list[Group]:
    """The groups and entries this person's roles can use, in the menu's order."""
    shown = []
    for group in MENU:
        entries = tuple(entry for entry in group.entries if _usable(principal, entry))
        if entries:
            shown.append(Group(group.key, group.label, entries))
    return shown


def _usable(principal: Principal, entry: Entry) -> bool:
    if not may_visit(principal, entry.href):
        return False
    return not entry.needs_any or any(
        ACTIONS.allows(principal, relation, obj, action)
        for obj, action, relation in entry.needs_any
    )
