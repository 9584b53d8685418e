"""The demonstration's quality work: every loaded resource validated, and the steward's
comparison of the enterprise register with the taxpayer register run once."""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from catalog.models import Resource, ResourceVersion
from exchange.identity.models import User
from exchange.identity.service import principal_for
from exchange.normalising import Normalisation
from exchange.runtime import Platform
from quality.comparisons import AttributeDraft, ComparisonDraft, create_comparison, run_comparison
from quality.models import Comparison
from quality.validation import validate_snapshot
from quality.vocab import RunTrigger

DEMO_COMPARISON = "企业名称核对（市场监管 × 税务）"


def code_of(platform: Platform, name: str) -> str:
    with platform.database.transaction() as session:
        code = session.scalar(
            select(Resource.code)
            .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
            .where(ResourceVersion.name == name)
        )
    assert code is not None, f"the demo catalog has no published {name}"
    return code


def demo_comparison_draft(platform: Platform, normalise: list[Normalisation]) -> ComparisonDraft:
    return ComparisonDraft(
        name=DEMO_COMPARISON,
        left=code_of(platform, "企业登记信息"),
        right=code_of(platform, "纳税人登记信息"),
        keys=[("uscc", "uscc")],
        attributes=[AttributeDraft(left="enterprise_name", right="enterprise_name")],
        normalise=normalise,
    )


@dataclass(frozen=True)
class QualitySummary:
    validated: list[tuple[str, bool, int]]  # resource, passed, failing rows
    comparison_run_id: int
    findings: int


def seed_quality(platform: Platform, loaded: Mapping[str, int]) -> QualitySummary:
    """Validate each loaded snapshot (``loaded``: resource code → snapshot, as collection's runs
    committed them) as on ingest, and run the demo comparison once."""
    with platform.database.transaction() as session:
        steward = session.scalar(select(User).where(User.username == "dsj.data_steward"))
        assert steward is not None
        actor = principal_for(steward)
        comparison_id = session.scalar(
            select(Comparison.id).where(Comparison.name == DEMO_COMPARISON)
        )
    validated = []
    for code, snapshot_id in loaded.items():
        run = validate_snapshot(
            platform, code=code, snapshot_id=snapshot_id, trigger=RunTrigger.INGEST
        )
        failing = sum(c["failed_rows"] for c in run.report["checks"] if not c["success"])
        validated.append((code, run.passed, failing))
    if comparison_id is None:
        draft = demo_comparison_draft(
            platform, [Normalisation.WIDTH, Normalisation.SPACES, Normalisation.CASE]
        )
        with platform.database.transaction() as session:
            comparison_id = create_comparison(
                session, actor=actor, now=platform.clock.now(), draft=draft
            ).id
    # A second `exchange demo` finds the snapshots compared already and repeats nothing.
    compared = run_comparison(
        platform, comparison_id=comparison_id, actor=actor, only_if_changed=True
    )
    return QualitySummary(validated, compared.id, compared.report["findings_total"])
