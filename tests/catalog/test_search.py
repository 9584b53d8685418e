"""R12: find entries by Chinese substrings, with filters and facet counts, seeing only what one may."""

import orjson
import pytest
from sqlalchemy import select

from catalog import entries, lifecycle, synonyms
from catalog.models import SearchEntry
from catalog.search import SearchQuery, index_tokens, query_tokens, search
from exchange.audit.models import AuditRecord
from exchange.errors import InvalidInput, PermissionDenied
from migrations import downgrade, upgrade
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


def test_r12_words_with_filters_find_what_the_filters_alone_would(world: CatalogWorld) -> None:
    """The filters narrow the full-text match as tokens; every combination must still find
    exactly the entries whose columns match."""
    publish(world)
    publish(world, name="个体工商户登记信息", update_cycle="weekly")
    publish(world, insured_persons(update_cycle="daily", name="社会保险登记信息"))
    register(world, name="企业年报登记信息")
    every = [
        {},
        {"update_cycle": "weekly"},
        {"update_cycle": "daily"},
        {"share_type": "conditional"},
        {"share_type": "unconditional"},
        {"status": "published"},
        {"status": "draft"},
        {"open_to_public": False},
        {"classification": "2"},
        {"classification": "201"},
        {"classification": "1", "update_cycle": "daily"},
        {"provider_department_id": world.provider.id},
        {"provider_department_id": world.consumer_department.id},
    ]
    for who in ("consumer", "reviewer"):
        for filters in every:
            without_words = set(find(world, who, **filters)[1])
            expected = {name for name in without_words if "登记" in name}
            _total, names, facets = find(world, who, text="登记", **filters)
            assert set(names) == expected, (who, filters)
            assert sum(facets["status"].values()) == len(expected), (who, filters)


def test_r12_text_spelled_like_a_filter_token_is_only_text(world: CatalogWorld) -> None:
    publish(world, abstract="企业登记 zzfstunconditional zzfucweekly")
    assert index_tokens("zzfstunconditional 企业").split() == ["企", "业", "企业"]
    assert query_tokens("zzfucweekly 企业") == ["企业"]
    assert find(world, "consumer", text="企业", share_type="unconditional")[0] == 0
    assert find(world, "consumer", text="企业", update_cycle="weekly")[0] == 0
    assert find(world, "consumer", text="企业", update_cycle="daily")[0] == 1


def test_r12_search_entries_get_their_filter_tokens_when_migrated(world: CatalogWorld) -> None:
    publish(world, update_cycle="weekly")
    url = world.platform.database.url
    world.platform.database.dispose()
    downgrade(url, "0029")
    with world.platform.database.transaction() as session:
        before = session.scalar(select(SearchEntry.tokens))
    assert before is not None
    assert "zzf" not in before
    upgrade(url)
    assert find(world, "consumer", text="企业", update_cycle="weekly")[0] == 1
    assert find(world, "consumer", text="企业", update_cycle="daily")[0] == 0


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
