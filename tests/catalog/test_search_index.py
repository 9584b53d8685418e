"""R12: the in-memory search index answers every search exactly as the database does, and keeps
up with what this process, another process and an uncommitted session change."""

import itertools
import time
from datetime import timedelta

import pytest

from catalog import entries, lifecycle
from catalog.search import SearchQuery, _search_database, _words, search
from catalog.search_index import index_for
from catalog.synonyms import groups
from exchange.db import Database
from exchange.principal import Principal
from exchange.runtime import Platform
from tests.catalog_fixtures import CatalogWorld, enterprise_register, insured_persons
from tests.scenarios.catalog import act, publish, register

QUERIES = [
    SearchQuery(**fields)  # type: ignore[arg-type]
    for fields in [
        {},
        {"text": "信息"},
        {"text": "登记"},
        {"text": "企业 信息"},
        {"text": "社保"},
        {"text": "年报", "status": "draft"},
        {"text": "信息", "update_cycle": "weekly"},
        {"text": "信息", "share_type": "conditional", "update_cycle": "daily"},
        {"classification": "2"},
        {"classification": "201"},
        {"classification": "2", "share_type": "unconditional"},
        {"text": "信息", "status": "retired"},
        {"text": "信息", "open_to_public": False},
        {"text": "没有的词"},
        {"text": "信息", "limit": 2},
        {"text": "信息", "limit": 3, "offset": 2},
        {"limit": 1, "offset": 50},
    ]
]


def _catalog(world: CatalogWorld) -> None:
    """Published, retired and draft entries of two departments, published at different times
    and, for some, at the same instant (the page then orders by id)."""
    clock = world.platform.clock
    publish(world)
    publish(world, name="个体工商户登记信息", update_cycle="weekly")
    clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    publish(world, insured_persons(update_cycle="daily"))
    publish(world, insured_persons(name="医疗保险参保信息", classification_code="202"))
    clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    retired = publish(world, name="企业年度报告信息", update_cycle="yearly")
    act(world, "reviewer", "retire", retired, reason="停用")
    register(world, name="企业年报信息")  # a draft only its department finds
    with world.platform.database.transaction() as session:
        entries.create_entry(
            session,
            actor=world.actor("other_registrar"),
            now=clock.now(),
            draft=insured_persons(name="失业保险参保信息"),
        )


def _both_ways(
    world: CatalogWorld, query: SearchQuery, actor: Principal | None
) -> tuple[object, object]:
    with world.platform.database.transaction() as session:
        index = index_for(session)
        assert index is not None
        words = _words(query.text, groups(session))
        return (
            index.search(session, query, actor, words),
            _search_database(session, query, actor, words),
        )


def _assert_same_everywhere(world: CatalogWorld) -> None:
    actors = [world.actor("consumer"), world.actor("registrar"), None]
    for query, actor in itertools.product(QUERIES, actors):
        from_index, from_database = _both_ways(world, query, actor)
        assert from_index == from_database, (query, actor)


@pytest.fixture
def following(world: CatalogWorld) -> CatalogWorld:
    """As in the API: on PostgreSQL the process hears the changes other processes commit."""
    world.platform.database.follow_other_processes()
    return world


def test_r12_the_index_finds_counts_and_pages_as_the_database_does(following: CatalogWorld) -> None:
    _catalog(following)
    _assert_same_everywhere(following)


def test_r12_the_index_follows_every_change_this_process_commits(following: CatalogWorld) -> None:
    world = following
    _catalog(world)
    _assert_same_everywhere(world)  # the index is loaded; what follows changes it
    clock = world.platform.clock
    clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    code = publish(world, name="药品经营许可信息", share_type="unconditional")
    draft = register(world, name="食品经营许可信息")
    act(world, "reviewer", "retire", code, reason="停用")
    with world.platform.database.transaction() as session:
        entries.update_draft(
            session,
            actor=world.actor("registrar"),
            now=clock.now(),
            code=draft,
            draft=enterprise_register(name="食品生产许可信息", update_cycle="monthly"),
        )
    _assert_same_everywhere(world)
    assert _found(world, "许可") == (1, ["药品经营许可信息"])
    assert _found(world, "许可", "registrar") == (2, ["药品经营许可信息", "食品生产许可信息"])


def test_r12_a_session_finds_its_own_changes_before_it_commits(following: CatalogWorld) -> None:
    world = following
    _catalog(world)
    _found(world, "许可")  # the index is loaded
    with world.platform.database.transaction() as session:
        entries.create_entry(
            session,
            actor=world.actor("registrar"),
            now=world.platform.clock.now(),
            draft=enterprise_register(name="道路运输许可信息"),
        )
        assert index_for(session) is None  # it asks the database, which shows it its own
        found = search(session, SearchQuery(text="许可"), world.actor("registrar"))
        assert [hit.name for hit in found.hits] == ["道路运输许可信息"]
        session.rollback()
    assert _found(world, "许可") == (0, [])  # what was rolled back is found nowhere


def test_r12_a_search_finds_what_another_process_committed(following: CatalogWorld) -> None:
    world = following
    _catalog(world)
    _found(world, "许可")  # this process's index is loaded
    # Another process: its own engine and change bus, nothing shared with this one.
    other = Platform(world.platform.settings, Database(world.platform.database.url),
                     world.platform.clock)  # fmt: skip
    try:
        with other.database.transaction() as session:
            code = entries.create_entry(
                session,
                actor=world.actor("registrar"),
                now=other.clock.now(),
                draft=enterprise_register(name="道路运输许可信息"),
            ).resource.code
        for who, step in (("registrar", lifecycle.submit), ("reviewer", lifecycle.approve)):
            with other.database.transaction() as session:
                step(session, actor=world.actor(who), env=other.workflow_environment(session),
                     code=code)  # fmt: skip
    finally:
        other.database.dispose()
    # On PostgreSQL the notice comes by NOTIFY, within a second, as a grant's does.
    deadline = time.monotonic() + 1.0
    while _found(world, "许可")[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _found(world, "许可") == (1, ["道路运输许可信息"])
    _assert_same_everywhere(world)


def _found(world: CatalogWorld, text: str, who: str = "consumer") -> tuple[int, list[str]]:
    with world.platform.database.transaction() as session:
        result = search(session, SearchQuery(text=text), world.actor(who))
        return result.total, [hit.name for hit in result.hits]
