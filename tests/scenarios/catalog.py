"""Catalog entries registered, acted on through the review workflow, published."""

from catalog import entries, lifecycle
from catalog.schemas import EntryDraft
from tests.catalog_fixtures import CatalogWorld, enterprise_register


def register(world: CatalogWorld, draft: EntryDraft | None = None, **changes: object) -> str:
    platform = world.platform
    with platform.database.transaction() as session:
        version = entries.create_entry(
            session,
            actor=world.actor("registrar"),
            now=platform.clock.now(),
            draft=draft or enterprise_register(**changes),
        )
        return version.resource.code


def act(world: CatalogWorld, who: str, step: str, code: str, **kwargs: str) -> None:
    platform = world.platform
    with platform.database.transaction() as session:
        function = {
            "submit": lifecycle.submit,
            "approve": lifecycle.approve,
            "return": lifecycle.return_for_changes,
            "retire": lifecycle.retire,
        }[step]
        function(
            session,
            actor=world.actor(who),
            env=platform.workflow_environment(session),
            code=code,
            **kwargs,
        )


def publish(world: CatalogWorld, draft: EntryDraft | None = None, **changes: object) -> str:
    code = register(world, draft, **changes)
    act(world, "registrar", "submit", code)
    act(world, "reviewer", "approve", code)
    return code
