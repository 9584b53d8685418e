"""Acceptance with the one-vote veto (R27) and the post-evaluation (R28): the sharing check is
computed from the platform's own records — catalog, loads, freshness, quarantine — and a project
whose promised resource is unpublished, never provided, stale or quarantined cannot be accepted
until that is fixed; a unit whose catalog later shrinks is flagged to the finance office until it
is restored; a failed evaluation blocks related upgrades until rectified."""

import pytest
from sqlalchemy import select

from catalog import entries
from catalog.schemas import EntryDraft
from catalog.vocab import ShareType
from collection.ingest import ingest
from exchange.clock import FrozenClock
from exchange.errors import Conflict, InvalidInput, PermissionDenied
from exchange.notifications.models import Notification
from exchange.principal import Principal
from projects import acceptance, changes, funding, register, reviews
from projects.acceptance import Vetoed
from projects.models import FundingFlag, Project, SharingCheck
from projects.sharing_check import check_project
from projects.vocab import ProjectState, Veto
from quality import expectations
from quality.validation import validate_snapshot
from supervision.scorecards import figures
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import drop_folder
from tests.conftest import local
from tests.scenarios.catalog import act
from tests.scenarios.catalog import register as register_entry
from tests.scenarios.collection import register as register_source
from tests.scenarios.projects import accept, approved, people, self_accepted
from tests.scenarios.requests import publish

ROWS = "uscc,enterprise_name,legal_representative,registered_capital,phone,id_number\n" + "".join(
    f"91440300MA5{i:07d},深圳市示例{i}有限公司,张{i},{1000 * (i + 1)},1380000{i:04d},"
    f"44030019900101{i:04d}\n"
    for i in range(6)
)


def source_for(world: CatalogWorld, code: str) -> int:
    folder = drop_folder(world) / "register"
    folder.mkdir(exist_ok=True)
    (folder / "register.csv").write_text(ROWS, encoding="utf-8")
    return register_source(world, code, "file", {"folder": "register"}, {})


def provided(world: CatalogWorld, clock: FrozenClock) -> tuple[dict[str, Principal], str]:
    """1 July 2026: the project people, and a published register collected once."""
    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    code = publish(world)
    ingest(world.platform, source_id=source_for(world, code), run_key="first")
    return cast, code


def vetoes(error: pytest.ExceptionInfo[Vetoed]) -> set[str]:
    return {f["veto"] for f in error.value.detail["findings"]}


def test_r27_a_promised_resource_never_provided_stale_or_quarantined_is_vetoed_until_fixed(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    code = publish(world)  # published, never loaded: promised but not provided
    project_id = approved(world, cast, code)

    with pytest.raises(Vetoed) as refused:
        accept(world, cast["reviewer"], project_id)
    assert vetoes(refused) == {Veto.NOT_PROVIDED}
    [evidence] = refused.value.detail["findings"]
    assert evidence["link"] == f"/sources?resource={code}"
    assert "never been provided" in evidence["message"]
    with world.platform.database.transaction() as session:
        assert session.get_one(Project, project_id).state == ProjectState.APPROVED  # nothing moved
        kept = check_project(session, actor=cast["finance"], now=clock.now(), project_id=project_id)
    with world.platform.database.transaction() as session:  # the check on its own is kept
        stored = session.get_one(SharingCheck, kept.id)
        assert (stored.passed, [f["veto"] for f in stored.findings]) == (False, [Veto.NOT_PROVIDED])

    source = source_for(world, code)
    ingest(world.platform, source_id=source, run_key="first")
    with world.platform.database.transaction() as session:  # the failed checks join the scorecard
        card = figures(session, world.provider.id, local(2026, 7, 1, 0, 0),
                       local(2026, 8, 1, 0, 0), clock.now())  # fmt: skip
        assert card.sharing_vetoes == 1  # the one kept on its own; a refused acceptance rolls back
    accept(world, cast["reviewer"], project_id)  # initial acceptance passes once provided

    clock.set(local(2026, 12, 1, 10, 0))  # before six months of stable running
    with pytest.raises(Conflict, match="runs stably until 2027-01-01"):
        accept(world, cast["reviewer"], project_id)
    clock.set(local(2027, 1, 4, 10, 0))  # the daily data has not been loaded since July: stale
    with pytest.raises(Vetoed) as stale:
        accept(world, cast["reviewer"], project_id)
    assert vetoes(stale) == {Veto.STALE}

    ingest(world.platform, source_id=source, run_key="january")
    with world.platform.database.transaction() as session:  # the steward's blocking check fails
        expectations.add_expectation(
            session, actor=world.actor("steward"), now=clock.now(), code=code, kind="in_set",
            column="legal_representative", params={"values": ["无"]}, blocking=True,
            description="法定代表人只能为“无”",
        )  # fmt: skip
    validate_snapshot(world.platform, code=code, actor=world.actor("steward"))
    with pytest.raises(Vetoed) as quarantined:
        accept(world, cast["reviewer"], project_id)
    assert vetoes(quarantined) == {Veto.QUARANTINED}

    with world.platform.database.transaction() as session:
        from quality.models import StewardExpectation

        [check] = session.scalars(select(StewardExpectation)).all()
        expectations.remove_expectation(session, actor=world.actor("steward"), now=clock.now(),
                                        expectation_id=check.id)  # fmt: skip
    validate_snapshot(world.platform, code=code, actor=world.actor("steward"))
    accept(world, cast["reviewer"], project_id)
    with world.platform.database.transaction() as session:
        project = session.get_one(Project, project_id)
        assert project.state == ProjectState.ACCEPTED
        assert str(project.evaluation_due) == "2028-01-04"


def test_r27_a_promise_broken_in_the_catalog_is_a_veto_and_a_small_project_accepts_itself(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cast, code = provided(world, clock)
    broken = [
        {"direction": "produce", "name": "企业年报", "items": []},  # never registered
        {"direction": "produce", "name": "企业登记信息", "resource_code": code,
         "items": [{"name": "phone", "share_type": "unconditional"},  # published conditional
                   {"name": "branch_count", "share_type": "unconditional"}]},  # not in the entry
    ]  # fmt: skip
    project_id = approved(world, cast, code, investment=600_000, lines=broken)
    with (
        world.platform.database.transaction() as session,
        pytest.raises(InvalidInput, match="acceptance report"),
    ):
        acceptance.self_accept(session, actor=cast["officer"],
                               env=world.platform.workflow_environment(session), project_id=project_id)  # fmt: skip
    with pytest.raises(Vetoed) as refused:
        self_accepted(world, cast["officer"], project_id)
    assert vetoes(refused) == {Veto.NOT_REGISTERED, Veto.STRICTER, Veto.ITEM_MISSING}

    drafted = register_entry(world)  # registered, never published
    unpublished = approved(world, cast, code, investment=600_000, plan_year=2029, lines=[
        {"direction": "produce", "name": "企业年报", "resource_code": drafted, "items": []}])  # fmt: skip
    with pytest.raises(Vetoed) as refused:
        self_accepted(world, cast["officer"], unpublished)
    assert vetoes(refused) == {Veto.NOT_PUBLISHED}
    with world.platform.database.transaction() as session:  # R26: a change asked for and approved
        change = changes.request_change(
            session, actor=cast["officer"], now=clock.now(), project_id=unpublished,
            description="增加服务器", investment={"equipment": 200_000, "software": 600_000},
            funding={"fiscal": 800_000},
        )  # fmt: skip
        with pytest.raises(PermissionDenied):
            changes.decide_change(session, actor=cast["officer"], now=clock.now(),
                                  change_id=change.id, approve=True, reply="自批")  # fmt: skip
        changes.decide_change(session, actor=cast["reviewer"], now=clock.now(),
                              change_id=change.id, approve=True, reply="同意调整投资")  # fmt: skip
        assert session.get_one(Project, unpublished).total_investment == 800_000
    with world.platform.database.transaction() as session:  # R26: changed without approval
        project = reviews.mark_not_acceptable(
            session, actor=cast["reviewer"], env=world.platform.workflow_environment(session),
            project_id=unpublished, reason="擅自变更建设内容",
        )  # fmt: skip
        assert project.state == ProjectState.NOT_ACCEPTABLE

    honest = approved(world, cast, code, investment=600_000, plan_year=2028)  # promises what is
    self_accepted(world, cast["officer"], honest)
    with world.platform.database.transaction() as session:
        assert session.get_one(Project, honest).state == ProjectState.ACCEPTED


def republish(world: CatalogWorld, code: str, *, name_share_type: str) -> None:
    """A new version of the entry with ``enterprise_name`` shared as ``name_share_type``."""
    with world.platform.database.transaction() as session:
        now = world.platform.clock.now()
        version = entries.start_new_version(session, actor=world.actor("registrar"), now=now,
                                            code=code)  # fmt: skip
        draft = EntryDraft.model_validate(version)
        for item in draft.items:
            if item.name == "enterprise_name":
                item.share_type = ShareType(name_share_type)
                item.share_condition = (
                    "仅用于行政审批" if name_share_type == "conditional" else None
                )
        entries.update_draft(session, actor=world.actor("registrar"), now=now, code=code,
                             draft=draft)  # fmt: skip
    act(world, "registrar", "submit", code)
    act(world, "reviewer", "approve", code)


def test_r27_a_shrinking_catalog_is_flagged_to_the_finance_office_and_lifted_when_restored(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cast, code = provided(world, clock)
    project_id = approved(world, cast, code, investment=600_000)
    self_accepted(world, cast["officer"], project_id)
    with world.platform.database.transaction() as session:
        assert funding.review_funding(session, now=clock.now()) == {}

    clock.set(local(2026, 7, 2, 10, 0))
    republish(world, code, name_share_type="conditional")  # promised unconditional, no legal basis
    with world.platform.database.transaction() as session:
        assert funding.review_funding(session, now=clock.now()) == {"flagged": [world.provider.id]}
        [flag] = funding.open_flags(session)
        assert flag.evidence == [{"resource": code, "item": "enterprise_name",
                                  "problem": "tightened", "now": "conditional"}]  # fmt: skip
        told = set(session.scalars(select(Notification.user_id).where(
            Notification.kind == "project.funding")))  # fmt: skip
    assert cast["finance"].user_id in told
    with world.platform.database.transaction() as session:  # it joins the scorecard (R20)
        card = figures(session, world.provider.id, local(2026, 7, 1, 0, 0),
                       local(2026, 8, 1, 0, 0), clock.now())  # fmt: skip
        assert card.funds_withheld == 1
    with world.platform.database.transaction() as session, pytest.raises(PermissionDenied):
        funding.decide(session, actor=cast["reviewer"], now=clock.now(), flag_id=flag.id,
                       withhold=True, note="审查意见")  # fmt: skip
    with world.platform.database.transaction() as session:  # the finance office decides
        funding.decide(session, actor=cast["finance"], now=clock.now(), flag_id=flag.id,
                       withhold=False, note="已提交整改计划，暂不停拨")  # fmt: skip
        card = figures(session, world.provider.id, local(2026, 7, 1, 0, 0),
                       local(2026, 8, 1, 0, 0), clock.now())  # fmt: skip
        assert card.funds_withheld == 0

    clock.set(local(2026, 7, 3, 10, 0))
    republish(world, code, name_share_type="unconditional")  # restored
    with world.platform.database.transaction() as session:
        assert funding.review_funding(session, now=clock.now()) == {"lifted": [world.provider.id]}
        assert funding.open_flags(session) == []
        assert session.scalar(select(FundingFlag.lifted_at)) is not None


def test_r28_a_failed_evaluation_blocks_related_upgrades_until_rectified(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    cast, code = provided(world, clock)
    project_id = approved(world, cast, code, investment=600_000)
    self_accepted(world, cast["officer"], project_id)

    def propose_upgrade() -> int:
        with world.platform.database.transaction() as session:
            return register.propose(session, actor=cast["officer"], now=clock.now(),
                                    settings=world.platform.settings, name="企业登记系统二期",
                                    plan_year=2027, upgrades_project_id=project_id).id  # fmt: skip

    with world.platform.database.transaction() as session:
        acceptance.record_evaluation(session, actor=cast["reviewer"], now=clock.now(),
                                     project_id=project_id, passed=False, note="共享数据量未达标")  # fmt: skip
    with pytest.raises(Conflict, match="failed its performance evaluation"):
        propose_upgrade()
    with world.platform.database.transaction() as session:
        acceptance.record_rectified(session, actor=cast["reviewer"], now=clock.now(),
                                    project_id=project_id, note="已整改并复核")  # fmt: skip
    assert propose_upgrade() > project_id
    clock.set(local(2027, 7, 2, 10, 0))
    with world.platform.database.transaction() as session:
        due = acceptance.spot_checks(session, actor=cast["reviewer"], today=clock.now().date())
        assert [p.id for p in due] == [project_id]
