"""The demonstration world for quality tests: the demo departments, catalog and source systems,
ingested once into the store."""

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.demo import seed_catalog
from collection import demo as demo_systems
from exchange.demo import seed_identity
from exchange.identity.service import principal_for
from exchange.principal import Principal
from exchange.runtime import Platform
from quality.demo import code_of

ROWS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DemoWorld:
    platform: Platform
    systems: demo_systems.DemoSystems
    sources: dict[str, int]  # resource name → source id

    def code(self, name: str) -> str:
        return code_of(self.platform, name)

    def actor(self, username: str) -> Principal:
        from sqlalchemy import select

        from exchange.identity.models import User

        with self.platform.database.transaction() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            return principal_for(user)

    def reingest(self, name: str, run_key: str) -> None:
        """Load the named source system again (its files may have changed)."""
        from collection.ingest import ingest

        with demo_systems.tax_api_running(self.systems.tax_json, free_port()) as tax_url:
            if name == "纳税人登记信息":
                self._point_tax_source(tax_url)
            ingest(self.platform, source_id=self.sources[name], run_key=run_key)

    def _point_tax_source(self, tax_url: str) -> None:
        from collection.models import Source

        with self.platform.database.transaction() as session:
            source = session.get_one(Source, self.sources["纳税人登记信息"])
            source.config = {**source.config, "url": tax_url}
        demo_systems.list_demo_system(self.platform.settings, tax_url)


@pytest.fixture
def demo(platform: Platform, tmp_path: Path) -> DemoWorld:
    with platform.database.transaction() as session:
        seed_identity(session, platform=platform)
        seed_catalog(session, env=platform.workflow_environment(session))
    systems = demo_systems.generate(
        tmp_path / "systems", rows=ROWS, drops=demo_systems.demo_drops(platform)
    )
    with demo_systems.tax_api_running(systems.tax_json, free_port()) as tax_url:
        loaded = demo_systems.seed_sources(platform, systems, tax_url)
    return DemoWorld(platform, systems, {name: source for name, source, _ in loaded})
