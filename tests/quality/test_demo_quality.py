"""On the demonstration data, the generated suites find exactly the planted errors and the
comparison exactly the planted inconsistencies; a corrected issue closes only once its check
passes on a newer snapshot."""

import json
import unicodedata

import pytest
from sqlalchemy import select

from collection.demo import PLANTED
from collection.ingest import latest_snapshots
from exchange.errors import Conflict, NotFound
from exchange.identifiers import is_valid_resident_id, is_valid_uscc
from exchange.normalising import Normalisation
from quality import issues
from quality.comparisons import create_comparison, run_comparison
from quality.demo import demo_comparison_draft, seed_quality
from quality.models import QualityIssue
from quality.validation import validate_snapshot
from quality.vocab import AnswerKind
from tests.quality.conftest import DemoWorld


def failures(run) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {c["check"]: c["failed_rows"] for c in run.report["checks"] if not c["success"]}


def test_generated_suites_find_exactly_the_planted_errors(demo: DemoWorld) -> None:
    platform = demo.platform
    register = validate_snapshot(platform, code=demo.code("企业登记信息"))
    taxpayers = validate_snapshot(platform, code=demo.code("纳税人登记信息"))
    insured = validate_snapshot(platform, code=demo.code("社会保险参保信息"))
    marriages = validate_snapshot(platform, code=demo.code("婚姻登记信息"))

    assert register.passed
    assert failures(register) == {}
    assert failures(taxpayers) == {"format(uscc; format=uscc)": PLANTED["bad_uscc_tax"]}
    assert failures(insured) == {"format(id_number; format=resident_id)": PLANTED["bad_id_social"]}
    # Marriage records copy the first insured persons' numbers, the planted ones among them.
    assert failures(marriages) == {
        "format(id_number; format=resident_id)": PLANTED["bad_id_social"]
    }
    bad_codes = [s["value"] for c in taxpayers.report["checks"] for s in c["samples"]]
    assert len(bad_codes) == 2
    assert not any(is_valid_uscc(code) for code in bad_codes)
    bad_ids = [s["id_number"] for c in insured.report["checks"] for s in c["samples"]]
    assert len(bad_ids) == 2
    assert not any(is_valid_resident_id(n) for n in bad_ids)
    assert not any(run.blocking_failed for run in (register, taxpayers, insured, marriages))
    with platform.database.transaction() as session:
        opened = session.scalars(select(QualityIssue).order_by(QualityIssue.id)).all()
        assert [(i.origin, i.row_count) for i in opened] == [("validation", 2)] * 3


def planted_mismatches(demo: DemoWorld, normalise: set[str]) -> int:
    """Counted here from the source systems themselves, independently of the platform."""
    import sqlite3

    with sqlite3.connect(demo.systems.market_db) as connection:
        market = dict(connection.execute("SELECT uscc, enterprise_name FROM enterprise_register"))
    tax = {
        r["uscc"]: r["enterprise_name"]
        for r in json.loads(demo.systems.tax_json.read_text("utf-8"))
    }

    def norm(value: str) -> str:
        if "width" in normalise:
            value = unicodedata.normalize("NFKC", value)
        if "spaces" in normalise:
            value = "".join(value.split())
        return value.lower() if "case" in normalise else value

    return sum(norm(market[k]) != norm(tax[k]) for k in market.keys() & tax.keys())


@pytest.mark.parametrize(
    "normalise", [[], [Normalisation.WIDTH, Normalisation.SPACES, Normalisation.CASE]]
)
def test_comparison_finds_exactly_the_planted_inconsistencies(
    demo: DemoWorld, normalise: list[Normalisation]
) -> None:
    platform, steward = demo.platform, demo.actor("dsj.data_steward")
    with platform.database.transaction() as session:
        comparison = create_comparison(
            session, actor=steward, now=platform.clock.now(),
            draft=demo_comparison_draft(platform, normalise),
        )  # fmt: skip
    run = run_comparison(platform, comparison_id=comparison.id, actor=steward)
    expected = planted_mismatches(demo, {str(n) for n in normalise})
    assert expected == (PLANTED["name_mismatch"] if not normalise else 3)  # 2 differ by a space
    assert run.report["mismatches"] == {"enterprise_name": expected}
    # Taxpayers missing from the register, and those whose code has a wrong check character.
    assert run.right_only == PLANTED["tax_only"] + PLANTED["bad_uscc_tax"]
    assert run.left_only == PLANTED["bad_uscc_tax"]
    with platform.database.transaction() as session:
        opened = session.scalars(select(QualityIssue)).all()
    # One issue, for the market regulator: authoritative for both the code and the name (R8).
    assert len(opened) == 1
    assert (
        opened[0].row_count
        == len(opened[0].rows)
        == expected + 2 * PLANTED["bad_uscc_tax"] + PLANTED["tax_only"]
    )
    assert opened[0].department_id == demo.actor("scjg.data_resource_admin").department_id


def test_a_corrected_issue_closes_only_when_the_check_passes_on_a_newer_snapshot(
    demo: DemoWorld,
) -> None:
    platform = demo.platform
    code = demo.code("纳税人登记信息")
    validate_snapshot(platform, code=code)
    admin, steward = demo.actor("sw.data_resource_admin"), demo.actor("dsj.data_steward")
    with platform.database.transaction() as session:
        issue_id = session.scalars(select(QualityIssue.id)).one()

    def act(action, actor, **more):  # type: ignore[no-untyped-def]
        with platform.database.transaction() as session:
            env = platform.workflow_environment(session)
            return action(session, actor=actor, env=env, issue_id=issue_id, **more).state

    with pytest.raises(NotFound):  # another department cannot even see it
        act(issues.acknowledge, demo.actor("scjg.data_resource_admin"))
    assert act(issues.acknowledge, admin) == "acknowledged"
    assert act(issues.answer, admin, kind=AnswerKind.CORRECTED, text="已更正两条代码") == "answered"
    assert act(issues.verify, steward) == "verified"
    with pytest.raises(Conflict, match="no newer snapshot"):
        act(issues.close, steward)
    demo.reingest("纳税人登记信息", run_key="still-wrong")  # the same wrong codes again
    validate_snapshot(platform, code=code)
    with pytest.raises(Conflict, match="still fails format"):
        act(issues.close, steward)

    rows = json.loads(demo.systems.tax_json.read_text("utf-8"))
    from exchange.identifiers import uscc_check_character

    for row in rows:
        if not is_valid_uscc(row["uscc"]):
            row["uscc"] = row["uscc"][:17] + uscc_check_character(row["uscc"][:17])
    demo.systems.tax_json.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    demo.reingest("纳税人登记信息", run_key="corrected")
    assert validate_snapshot(platform, code=code).passed
    assert act(issues.close, steward) == "closed"
    with platform.database.transaction() as session:
        from exchange.data_status import DataStatus

        assert session.get_one(DataStatus, code).open_issues == 0


def test_the_demo_seeds_validation_and_one_comparison(demo: DemoWorld) -> None:
    with demo.platform.database.transaction() as session:
        snapshots = latest_snapshots(session)
    summary = seed_quality(demo.platform, snapshots)
    assert sorted(failing for _, _, failing in summary.validated) == [0, 2, 2, 2]
    assert summary.findings == 3 + 2 * PLANTED["bad_uscc_tax"] + PLANTED["tax_only"]
    assert seed_quality(demo.platform, snapshots).comparison_run_id == summary.comparison_run_id
