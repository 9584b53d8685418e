"""Sources registered for a published resource."""

from collection.sources import register_source
from tests.catalog_fixtures import CatalogWorld


def register(
    world: CatalogWorld,
    code: str,
    kind: str,
    config: dict,
    secret: dict,
    who: str = "resource_admin",
    **options: object,
) -> int:  # type: ignore[type-arg]
    platform = world.platform
    with platform.database.transaction() as session:
        source = register_source(
            session,
            actor=world.actor(who),
            now=platform.clock.now(),
            settings=platform.settings,
            code=code,
            kind=kind,
            config=config,
            secret=secret,
            **options,  # type: ignore[arg-type]
        )
        return source.id
