"""R12: find entries by Chinese substrings, with filters and facet counts, seeing only what one may."""

import orjson
import pytest
from sqlalchemy import select

from catalog import entries, lifecycle, synonyms
from catalog.search import SearchQuery, index_tokens, query_tokens, search
from exchange.audit.models import AuditRecord
from exchange.errors import InvalidInput, PermissionDenied
from tests.catalog_fixtures import CatalogWorld, enterprise_register, insured_persons
from tests.scenarios.catalog import publish, register


def find(
    world: CatalogWorld, who: str, **query: object
) -> tuple[int, list[str], dict[str, dict[str, int]]]:
    with world.platform.database.transaction() as session:
        result = search(session, SearchQuery(**query), world.actor(who))  # type: ignore[arg-type]
        return result.total, [hit.name for hit in result.hits], result.facets


def test_tokens_are_cjk_unigrams_bigrams_and_latin_words() -> None:
    assert index_tokens("企业登记 uscc_code") == "企 业 登 记 企业 业登 登记 uscc code"
    assert query_tokens("企业登记") == ["企业", "业登", "登记"]
    assert query_tokens("企") == ["企"]


def test_r12_chinese_substrings_find_the_entry(world: CatalogWorld) -> None:
    publish(world)
    publish(world, insured_persons())
    for text in ("企业", "登记", "企业登记信息", "法定代表人", "registered"):
        _total, names, _ = find(world, "consumer", text=text)
        assert names == ["企业登记信息"], text
    assert find(world, "consumer", text="参保")[1] == ["社会保险参保信息"]
    assert find(world, "consumer", text="信息")[0] == 2
    assert find(world, "consumer", text="企保")[0] == 0


def test_r12_filters_and_facets(world: CatalogWorld) -> None:
    publish(world)
    publish(world, name="个体工商户登记信息", update_cycle="weekly")
    publish(world, insured_persons(update_cycle="daily"))
    total, names, facets = find(world, "consumer", text="登记", update_cycle="weekly")
    assert (total, names) == (1, ["个体工商户登记信息"])
    total, _, facets = find(world, "consumer", text="信息")
    assert facets["update_cycle"] == {"daily": 2, "weekly": 1}
    assert facets["category"] == {"2": 3}
    assert facets["share_type"] == {"conditional": 3}
    assert facets["open_to_public"] == {"false": 3}
    assert facets["status"] == {"published": 3}
    assert find(world, "consumer", classification="201")[1] == ["社会保险参保信息"]
    assert find(world, "consumer", classification="2", share_type="unconditional")[0] == 0


def test_r12_drafts_are_found_only_by_their_department(world: CatalogWorld) -> None:
    register(world, name="企业年报信息")
    assert find(world, "consumer", text="年报")[0] == 0
    _total, names, facets = find(world, "reviewer", text="年报")
    assert names == ["企业年报信息"]
    assert facets["status"] == {"draft": 1}


def test_retired_entries_are_found_as_retired(world: CatalogWorld) -> None:
    code = publish(world)
    with world.platform.database.transaction() as session:
        lifecycle.retire(
            session,
            actor=world.actor("reviewer"),
            env=world.platform.workflow_environment(session),
            code=code,
            reason="停用",
        )
    _total, names, facets = find(world, "consumer", text="企业")
    assert names == ["企业登记信息"]
    assert facets["status"] == {"retired": 1}
    assert find(world, "consumer", text="企业", status="published")[0] == 0


def test_a_new_draft_of_a_published_entry_does_not_change_what_others_find(
    world: CatalogWorld,
) -> None:
    code = publish(world)
    with world.platform.database.transaction() as session:
        entries.start_new_version(
            session, actor=world.actor("registrar"), now=world.platform.clock.now(), code=code
        )
        entries.update_draft(
            session,
            actor=world.actor("registrar"),
            now=world.platform.clock.now(),
            code=code,
            draft=enterprise_register(name="企业登记信息新版"),
        )
    assert find(world, "consumer", text="企业")[1] == ["企业登记信息"]


def test_r12_abbreviations_people_type_find_what_the_catalog_names_in_full(
    world: CatalogWorld,
) -> None:
    publish(world)
    publish(world, insured_persons())
    for text in ("社保", "社保参保", "社会保险", "社保 信息"):
        assert find(world, "consumer", text=text)[1] == ["社会保险参保信息"], text
    assert find(world, "consumer", text="医保")[0] == 0


def test_r12_the_bureau_adds_synonyms_and_only_the_bureau(world: CatalogWorld) -> None:
    publish(world)
    assert find(world, "consumer", text="营业执照")[0] == 0
    now = world.platform.clock.now()
    with pytest.raises(PermissionDenied), world.platform.database.transaction() as session:
        synonyms.replace_groups(
            session, actor=world.actor("registrar"), text="营业执照 企业登记", now=now
        )
    with world.platform.database.transaction() as session:
        with pytest.raises(InvalidInput) as refused:
            synonyms.replace_groups(
                session, actor=world.actor("admin"), text="营业执照，企业登记\n年报", now=now
            )
        assert refused.value.detail == {"line": 2}
    with world.platform.database.transaction() as session:
        synonyms.replace_groups(
            session, actor=world.actor("admin"), text="营业执照，企业登记\n\n", now=now
        )
    assert find(world, "consumer", text="营业执照")[1] == ["企业登记信息"]
    with world.platform.database.transaction() as session:
        changed = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "catalog.synonyms_changed")
        ).one()
        assert orjson.loads(changed.detail) == {"before": [], "after": [["营业执照", "企业登记"]]}
        assert synonyms.groups(session)[-1] == ["营业执照", "企业登记"]
        assert ["社保", "社会保险"] in synonyms.groups(session)  # the built-in ones stay
