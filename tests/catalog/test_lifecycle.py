"""R1, R2, R3, R6: register → review → publish → change → retire, and who may do each step."""

import pytest
from sqlalchemy import select

from catalog import entries
from catalog.diff import diff_versions
from catalog.models import ResourceVersion
from catalog.schemas import EntryDraft
from catalog.vocab import ResourceStatus, ShareType, VersionState
from exchange.errors import Conflict, Hidden, InvalidInput, NotFound, PermissionDenied
from exchange.workflow.engine import history
from tests.catalog_fixtures import CatalogWorld, enterprise_register
from tests.scenarios.catalog import act, publish, register


def test_r1_full_lifecycle_publishes_with_history(world: CatalogWorld) -> None:
    code = register(world)
    assert code == "202/000001"
    act(world, "registrar", "submit", code)
    act(world, "reviewer", "return", code, comment="摘要请补充数据来源")
    act(world, "registrar", "submit", code)
    act(world, "reviewer", "approve", code, comment="同意发布")
    with world.platform.database.transaction() as session:
        resource = entries.get_resource(session, code)
        version = entries.published_version(session, resource)
        assert resource.status == ResourceStatus.PUBLISHED
        assert version is not None
        assert version.state == VersionState.PUBLISHED
        assert version.share_type == ShareType.CONDITIONAL  # derived: one conditional item
        assert str(version.publication_date) == "2026-11-24"
        steps = [
            (e.action, e.to_state)
            for e in history(session, subject_type="catalog_version", subject_id=version.id)
        ]
    assert steps == [
        ("submit", "submitted"),
        ("return", "returned"),
        ("submit", "submitted"),
        ("approve", "published"),
    ]


def test_r1_registrar_cannot_review_their_own_entry(world: CatalogWorld) -> None:
    code = register(world)
    act(world, "registrar", "submit", code)
    with pytest.raises(PermissionDenied, match="different people"):
        act(world, "registrar", "approve", code)  # holds the reviewer role, but registered it


def test_r1_another_departments_reviewer_cannot_review(world: CatalogWorld) -> None:
    code = register(world)
    act(world, "registrar", "submit", code)
    # An entry under review is not theirs to see: the same 404 as a read, whatever the verb.
    with pytest.raises(Hidden, match=f"no catalog entry {code}"):
        act(world, "other_reviewer", "approve", code)


def test_r1_only_registrars_submit_and_returns_need_comments(world: CatalogWorld) -> None:
    code = register(world)
    with pytest.raises(PermissionDenied, match="catalog_registrar"):
        act(world, "reviewer", "submit", code)
    act(world, "registrar", "submit", code)
    with pytest.raises(InvalidInput, match="needs comments"):
        act(world, "reviewer", "return", code, comment="  ")


def test_r6_invalid_entry_is_refused_naming_field_and_rule(world: CatalogWorld) -> None:
    draft = enterprise_register().model_dump()
    draft["items"][2]["share_condition"] = None
    draft["items"][3]["precision"] = 20
    draft["items"].append(
        {
            "name": "ID Number",
            "label": "身份证号",
            "data_type": "string",
            "length": 18,
            "share_type": "not_shared",
        }
    )
    with world.platform.database.transaction() as session, pytest.raises(InvalidInput) as raised:
        entries.create_entry(
            session,
            actor=world.actor("registrar"),
            now=world.platform.clock.now(),
            draft=EntryDraft.model_validate(draft),
        )
    found = {(p["field"], p["rule"]) for p in raised.value.detail}
    assert found == {
        ("items[2].share_condition", "R3.conditional.condition"),
        ("items[3].precision", "R6.item.precision"),
        ("items[4].name", "R6.item.name"),
        ("items[4].legal_basis", "R3.not_shared.legal_basis"),
    }
    assert all(p["message_zh"] for p in raised.value.detail)


def test_published_versions_are_immutable_and_changes_make_a_new_version(
    world: CatalogWorld,
) -> None:
    code = publish(world)
    platform = world.platform
    with (
        platform.database.transaction() as session,
        pytest.raises(Conflict, match="start a new version"),
    ):
        entries.update_draft(
            session,
            actor=world.actor("registrar"),
            now=platform.clock.now(),
            code=code,
            draft=enterprise_register(update_cycle="weekly"),
        )
    with platform.database.transaction() as session:
        entries.start_new_version(
            session, actor=world.actor("registrar"), now=platform.clock.now(), code=code
        )
        changed = enterprise_register(update_cycle="weekly", change_note="改为每周更新")
        changed.items[1].share_type = ShareType.CONDITIONAL
        changed.items[1].share_condition = "需说明用途"
        changed.items.pop(3)
        entries.update_draft(
            session,
            actor=world.actor("registrar"),
            now=platform.clock.now(),
            code=code,
            draft=changed,
        )
    act(world, "registrar", "submit", code)
    act(world, "reviewer", "approve", code)
    with platform.database.transaction() as session:
        resource = entries.get_resource(session, code)
        versions = session.scalars(
            select(ResourceVersion)
            .where(ResourceVersion.resource_id == resource.id)
            .order_by(ResourceVersion.number)
        ).all()
        assert [v.state for v in versions] == [VersionState.SUPERSEDED, VersionState.PUBLISHED]
        assert resource.code == code  # the code is stable
        diff = diff_versions(versions[0], versions[1])
    assert diff.fields["update_cycle"] == ("daily", "weekly")
    assert diff.items_removed == ["registered_capital"]
    assert diff.items_changed["enterprise_name"]["share_type"] == ("unconditional", "conditional")
    assert diff.key_change
    assert "update_cycle: 'daily' → 'weekly'" in diff.lines()


def test_retired_entries_stay_findable_and_cannot_change(world: CatalogWorld) -> None:
    code = publish(world)
    with pytest.raises(InvalidInput, match="needs a reason"):
        act(world, "reviewer", "retire", code, reason="")
    act(world, "reviewer", "retire", code, reason="系统下线，由新系统数据替代")
    platform = world.platform
    with platform.database.transaction() as session:
        resource = entries.visible_resource(session, code, world.actor("consumer"))
        assert resource.status == ResourceStatus.RETIRED
        with pytest.raises(Conflict, match="retired"):
            entries.start_new_version(
                session, actor=world.actor("registrar"), now=platform.clock.now(), code=code
            )


def test_drafts_are_visible_only_to_their_department(world: CatalogWorld) -> None:
    code = register(world)
    with world.platform.database.transaction() as session:
        assert entries.visible_resource(session, code, world.actor("reviewer")).code == code
        with pytest.raises(NotFound):
            entries.visible_resource(session, code, world.actor("consumer"))


def test_another_departments_registrar_cannot_edit(world: CatalogWorld) -> None:
    code = register(world)
    # A draft does not exist for another department: the edit is refused as a read would be.
    with world.platform.database.transaction() as session, pytest.raises(Hidden):
        entries.update_draft(
            session,
            actor=world.actor("other_registrar"),
            now=world.platform.clock.now(),
            code=code,
            draft=enterprise_register(),
        )
    act(world, "registrar", "submit", code)
    act(world, "reviewer", "approve", code)
    # A published entry is everyone's to see, and only its department's to change.
    with world.platform.database.transaction() as session, pytest.raises(PermissionDenied):
        entries.start_new_version(
            session, actor=world.actor("other_registrar"), now=world.platform.clock.now(), code=code
        )


def test_codes_follow_the_classification_with_a_sequence(world: CatalogWorld) -> None:
    assert register(world) == "202/000001"
    assert register(world, name="个体工商户登记信息") == "202/000002"
    assert register(world, name="企业信用信息", classification_code="206") == "206/000001"


def test_r2_an_entry_without_its_core_metadata_is_refused_naming_each_rule(
    world: CatalogWorld,
) -> None:
    draft = enterprise_register().model_dump()
    draft["abstract"] = " "
    draft["classification_code"] = "999"
    with world.platform.database.transaction() as session, pytest.raises(InvalidInput) as raised:
        entries.create_entry(
            session,
            actor=world.actor("registrar"),
            now=world.platform.clock.now(),
            draft=EntryDraft.model_validate(draft),
        )
    rules = {p["rule"] for p in raised.value.detail}
    assert {"R2.required", "R2.classification"} <= rules


def test_r5_no_entry_can_declare_classified_data(world: CatalogWorld) -> None:
    """State secrets are never on the platform: the sensitivity levels stop at 'sensitive', and
    an entry that says its data is classified (涉密) is refused before it is stored."""
    from pydantic import ValidationError

    from catalog.vocab import Sensitivity

    assert {s.value for s in Sensitivity} == {"public", "internal", "sensitive"}
    draft = enterprise_register().model_dump()
    draft["items"][0]["sensitivity"] = "classified"
    with pytest.raises(ValidationError):
        EntryDraft.model_validate(draft)
    draft["items"][0]["sensitivity"] = "涉密"
    with pytest.raises(ValidationError):
        EntryDraft.model_validate(draft)
