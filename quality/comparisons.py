"""Comparisons a steward defines between two resources (R18), their runs on the current
snapshots, and the quality issues they open: one per run and responsible department, with the
rows attached.

The department responsible for a finding is the one authoritative for its data element (R8):
the attribute's element for a mismatched value, the key's element for a key found on one side
only. When neither side's provider is authoritative, the right-hand resource's provider answers:
the left is the reference the steward compares against.
"""

import time as timer
from collections import defaultdict
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import get_resource, published_version
from catalog.models import AuthoritativeSource, DataItem, Resource
from exchange import audit
from exchange.actions import ACTIONS
from exchange.background_work import tracked
from exchange.errors import InvalidInput, NotFound
from exchange.i18n import Message
from exchange.normalising import Normalisation
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.store import UnifiedStore
from quality.compare import AttributePair, ComparisonSpec, Findings, compare_tables
from quality.issues import STILL_FAILING, UNRESOLVED, report_findings
from quality.models import Comparison, ComparisonRun, QualityIssue
from quality.suites import naming_item
from quality.vocab import IssueOrigin


class AttributeDraft(BaseModel):
    left: str
    right: str
    tolerance: float | None = Field(
        None, ge=0, description="Numbers: allowed difference; dates: days"
    )


class ComparisonDraft(BaseModel):
    name: str = Field(min_length=2, max_length=100, examples=["企业名称核对"])
    left: str = Field(description="Code of the reference resource", examples=["102/000001"])
    right: str = Field(description="Code of the resource compared with it")
    keys: list[tuple[str, str]] = Field(min_length=1, examples=[[["uscc", "uscc"]]])
    attributes: list[AttributeDraft] = Field(min_length=1)
    normalise: list[Normalisation] = Field(default_factory=list)


def require_steward(actor: Principal) -> None:
    ACTIONS.require(
        actor, "other", "quality", "manage",
        explain="comparisons and extra checks are managed by the bureau's data stewards",
    )  # fmt: skip


def _items(session: Session, code: str) -> tuple[Resource, dict[str, DataItem]]:
    resource = get_resource(session, code)
    version = published_version(session, resource)
    if version is None:
        raise InvalidInput("entry {code} is not published", detail={"field": "resource"}, code=code)
    return resource, {i.name: i for i in version.items}


def create_comparison(
    session: Session, *, actor: Principal, now: Any, draft: ComparisonDraft
) -> Comparison:
    require_steward(actor)
    left, left_items = _items(session, draft.left)
    right, right_items = _items(session, draft.right)
    if left.id == right.id:
        raise InvalidInput("compare two different resources", detail={"field": "right"})
    pairs = [*draft.keys, *((a.left, a.right) for a in draft.attributes)]
    unknown = [f"{draft.left}.{name}" for name, _ in pairs if name not in left_items]
    unknown += [f"{draft.right}.{name}" for _, name in pairs if name not in right_items]
    if unknown:
        raise InvalidInput(
            "not data items: {unknown}", detail={"unknown": unknown}, unknown=", ".join(unknown)
        )
    comparison = Comparison(
        name=draft.name.strip(),
        left_resource_id=left.id,
        right_resource_id=right.id,
        keys=[list(pair) for pair in draft.keys],
        attributes=[a.model_dump() for a in draft.attributes],
        normalise=[str(n) for n in draft.normalise],
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(comparison)
    session.flush()
    audit.record(
        session, at=now, actor=actor, action="quality.comparison.create",
        object_type="comparison", object_id=comparison.id, detail=draft.model_dump(mode="json"),
    )  # fmt: skip
    return comparison


def _naming(session: Session, resource: Resource) -> str | None:
    version = published_version(session, resource)
    return None if version is None else naming_item(list(version.items))


def spec_of(comparison: Comparison) -> ComparisonSpec:
    return ComparisonSpec(
        keys=tuple((left, right) for left, right in comparison.keys),
        attributes=tuple(AttributePair(**a) for a in comparison.attributes),
        normalise=frozenset(Normalisation(n) for n in comparison.normalise),
    )


def run_comparison(
    platform: Platform,
    *,
    comparison_id: int,
    actor: Principal,
    store: UnifiedStore | None = None,
    only_if_changed: bool = False,
) -> ComparisonRun:
    """Compare the current snapshots, in transactions of its own around reading them (none is
    held while the store is read). With ``only_if_changed`` (the daily schedule), snapshots
    already compared return that run instead of repeating it. Findings of a department that
    still has an unresolved issue from this comparison update that issue: one issue per
    comparison and department at a time, never one a day. Tracked as background work."""
    with tracked(platform, "comparison", str(comparison_id)):
        return _run(platform, comparison_id, actor, store, only_if_changed)


def _run(
    platform: Platform,
    comparison_id: int,
    actor: Principal,
    store: UnifiedStore | None,
    only_if_changed: bool,
) -> ComparisonRun:
    store = store or UnifiedStore(platform.settings)
    with platform.database.transaction() as session:
        if not actor.is_system:
            require_steward(actor)
        comparison = session.get(Comparison, comparison_id)
        if comparison is None or comparison.retired_at is not None:
            raise NotFound("no comparison {comparison_id}", comparison_id=comparison_id)
        left = session.get_one(Resource, comparison.left_resource_id)
        right = session.get_one(Resource, comparison.right_resource_id)
        codes = (left.code, right.code)
        spec = replace(spec_of(comparison), names=(_naming(session, left), _naming(session, right)))
    snapshots = []
    for code in codes:
        snapshot_id = store.current_snapshot_id(code)
        if snapshot_id is None:
            raise NotFound("resource {code} has no data in the store yet", code=code)
        snapshots.append(snapshot_id)
    if only_if_changed:
        with platform.database.transaction() as session:
            done = session.scalar(
                select(ComparisonRun).where(
                    ComparisonRun.comparison_id == comparison_id,
                    ComparisonRun.left_snapshot_id == snapshots[0],
                    ComparisonRun.right_snapshot_id == snapshots[1],
                )
            )
            if done is not None:
                return done
    started = timer.perf_counter()
    left_columns = list(
        dict.fromkeys(
            [k for k, _ in spec.keys]
            + [a.left for a in spec.attributes]
            + [n for n in spec.names[:1] if n]
        )
    )
    right_columns = list(
        dict.fromkeys([k for _, k in spec.keys] + [a.right for a in spec.attributes]
                      + [n for n in spec.names[1:] if n])
    )  # fmt: skip
    findings = compare_tables(
        store.scan(codes[0], snapshot_id=snapshots[0], columns=tuple(left_columns)),
        store.scan(codes[1], snapshot_id=snapshots[1], columns=tuple(right_columns)),
        spec,
    )
    seconds = timer.perf_counter() - started
    with platform.database.transaction() as session:
        env = platform.workflow_environment(session)
        comparison = session.get_one(Comparison, comparison_id)
        run = ComparisonRun(
            comparison_id=comparison_id,
            left_snapshot_id=snapshots[0],
            right_snapshot_id=snapshots[1],
            finished_at=env.now,
            seconds=round(seconds, 3),
            left_rows=findings.matched + findings.left_only,
            right_rows=findings.matched + findings.right_only,
            matched=findings.matched,
            mismatched_rows=findings.mismatched_rows,
            left_only=findings.left_only,
            right_only=findings.right_only,
            report=_report(comparison, codes, findings, spec.names),
        )
        session.add(run)
        session.flush()
        for department_id, (resource, rows, count) in _responsible(
            session, comparison, findings
        ).items():
            title = Message(
                "Comparison {name} found {count} inconsistencies in {code}",
                name=comparison.name, count=count, code=resource.code,
            )  # fmt: skip
            report_findings(
                session,
                actor=actor,
                env=env,
                # an issue found earlier keeps the run and snapshot it was found on
                existing=_unresolved_issue(session, comparison_id, department_id),
                found=QualityIssue(
                    origin=IssueOrigin.COMPARISON,
                    comparison_run_id=run.id,
                    resource_id=resource.id,
                    department_id=department_id,
                    snapshot_id=snapshots[0]
                    if resource.id == comparison.left_resource_id
                    else snapshots[1],
                    title=title.english[:200],
                    title_message=title,
                    row_count=count,
                    rows=rows,
                ),
                code=resource.code,
            )
        audit.record(
            session, at=env.now, actor=actor, action="quality.comparison.run",
            object_type="comparison", object_id=comparison_id,
            detail={"run": run.id, "snapshots": snapshots, "mismatches": findings.mismatches,
                    "left_only": findings.left_only, "right_only": findings.right_only},
        )  # fmt: skip
        return run


def _report(
    comparison: Comparison,
    codes: tuple[str, str],
    findings: Findings,
    names: tuple[str | None, str | None],
) -> dict[str, Any]:
    return {
        "comparison": comparison.name,
        "left": codes[0],
        "right": codes[1],
        "keys": comparison.keys,
        "attributes": comparison.attributes,
        "normalise": comparison.normalise,
        "names": list(names),
        "mismatches": findings.mismatches,
        "findings": findings.rows,
        "findings_shown": len(findings.rows),
        "findings_total": findings.total,
    }


def _authority(session: Session, item: DataItem | None) -> int | None:
    if item is None or not item.element:
        return None
    source = session.get(AuthoritativeSource, item.element)
    return None if source is None else source.department_id


def _responsible(
    session: Session, comparison: Comparison, findings: Findings
) -> dict[int, tuple[Resource, list[dict[str, Any]], int]]:
    """Findings grouped by the department that must answer them, with that department's resource."""
    left = session.get_one(Resource, comparison.left_resource_id)
    right = session.get_one(Resource, comparison.right_resource_id)
    left_items = {i.name: i for i in published_version(session, left).items}  # type: ignore[union-attr]
    right_items = {i.name: i for i in published_version(session, right).items}  # type: ignore[union-attr]
    sides = {left.provider_department_id: left, right.provider_department_id: right}

    def department_for(left_item: str, right_item: str) -> int:
        for item in (left_items.get(left_item), right_items.get(right_item)):
            authority = _authority(session, item)
            if authority in sides:
                return authority
        return right.provider_department_id

    key_department = department_for(*comparison.keys[0])
    attribute_department = {
        a["left"]: department_for(a["left"], a["right"]) for a in comparison.attributes
    }
    counts: dict[int, int] = defaultdict(int)
    for attribute, count in findings.mismatches.items():
        counts[attribute_department[attribute]] += count
    counts[key_department] += findings.left_only + findings.right_only
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in findings.rows:
        department = (
            attribute_department[row["attribute"]] if row["kind"] == "mismatch" else key_department
        )
        grouped[department].append(row)
    return {d: (sides[d], grouped[d], c) for d, c in counts.items() if c}


def _unresolved_issue(
    session: Session, comparison_id: int, department_id: int
) -> QualityIssue | None:
    return session.scalar(
        select(QualityIssue)
        .join(ComparisonRun, ComparisonRun.id == QualityIssue.comparison_run_id)
        .where(
            ComparisonRun.comparison_id == comparison_id,
            QualityIssue.department_id == department_id,
            QualityIssue.state.in_([str(s) for s in UNRESOLVED]),
        )
    )


def _comparison_still_fails(session: Session, issue: QualityIssue) -> str | None:
    found_in = session.get_one(ComparisonRun, issue.comparison_run_id)
    latest = session.scalar(
        select(ComparisonRun)
        .where(
            ComparisonRun.comparison_id == found_in.comparison_id, ComparisonRun.id > found_in.id
        )
        .order_by(ComparisonRun.id.desc())
        .limit(1)
    )
    if latest is None or issue.snapshot_id in (latest.left_snapshot_id, latest.right_snapshot_id):
        return "the comparison has not run on newer data yet"
    keys = {_finding_key(row) for row in issue.rows}
    again = [row for row in latest.report["findings"] if _finding_key(row) in keys]
    if again:
        return f"comparison run {latest.id} still finds {len(again)} of them"
    return None


def _finding_key(row: dict[str, Any]) -> str:
    return f"{row['kind']}|{row.get('attribute', '')}|{sorted(row['key'].items())}"


STILL_FAILING[IssueOrigin.COMPARISON] = _comparison_still_fails
