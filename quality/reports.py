"""Reports for stewards: each validation run and comparison run as JSON and as an HTML page that
opens offline (no scripts, fonts or styles from anywhere else), and the steward overview."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from catalog.entries import get_resource
from catalog.models import Resource
from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.errors import not_found
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.principal import Principal
from exchange.workdays import WorkingDayCalendar
from quality import disclosure, findings
from quality.disclosure import Readable
from quality.issues import UNRESOLVED
from quality.models import FEEDBACK, Comparison, ComparisonRun, QualityIssue, ValidationRun
from quality.vocab import IssueOrigin


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str | None = None


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )


def may_see_runs(actor: Principal, provider_id: int) -> bool:
    """Runs and reports are for the department whose data was checked and the city's offices."""
    return actor.department_id == provider_id or actor.has_any(
        Role.DATA_STEWARD, Role.BUREAU_ADMIN, Role.AUDITOR, Role.COORDINATING_OFFICE
    )


def visible_validation_run(session: Session, run_id: int, viewer: Principal) -> ValidationRun:
    run = session.get(ValidationRun, run_id)
    if run is None or not may_see_runs(
        viewer, get_resource(session, run.resource_code).provider_department_id
    ):
        raise not_found(run, f"no validation run {run_id}")
    return run


def visible_comparison_run(session: Session, run_id: int, viewer: Principal) -> ComparisonRun:
    run = session.get(ComparisonRun, run_id)
    providers = [] if run is None else [
        get_resource(session, code).provider_department_id
        for code in (run.report["left"], run.report["right"])
    ]  # fmt: skip
    if run is None or not any(may_see_runs(viewer, p) for p in providers):
        raise not_found(run, f"no comparison run {run_id}")
    return run


def _verdict(ok: bool) -> str:
    return "通过 passed" if ok else "未通过 failed"


def validation_json(run: ValidationRun, report: dict[str, Any]) -> dict[str, Any]:
    """The run and ``report``: its report as shown to the reader (quality.disclosure)."""
    return {
        "run": run.id,
        "resource": run.resource_code,
        "snapshot_id": run.snapshot_id,
        "trigger": run.trigger,
        "finished_at": run.finished_at.isoformat(),
        "seconds": run.seconds,
        "rows": run.rows,
        "passed": run.passed,
        "blocking_failed": run.blocking_failed,
        **report,
    }


def validation_html(run: ValidationRun, report: dict[str, Any]) -> str:
    checks = report["checks"]
    summary = Section(
        "检查项 Checks",
        ["检查 Check", "说明 Description", "阻断 Blocking", "结果 Result", "不符行数 Failing rows"],
        [
            [c["check"], c["description"], "是 yes" if c["blocking"] else "否 no",
             _verdict(c["success"]), c["failed_rows"]]
            for c in checks
        ],
    )  # fmt: skip
    samples = Section("不符的值 Failing values", ["检查 Check", "值 Value", "行 Row keys"])
    for check in checks:
        for sample in check["samples"]:
            keys = {k: v for k, v in sample.items() if k != "value"}
            samples.rows.append(
                [check["check"], sample.get("value"), json.dumps(keys, ensure_ascii=False)]
            )
    samples.note = "每项检查最多列出 200 行 · at most 200 rows are listed per check"
    facts = [
        ("资源 Resource", run.resource_code),
        ("快照 Snapshot", run.snapshot_id),
        ("时间 Finished", run.finished_at.isoformat(timespec="seconds")),
        ("行数 Rows", run.rows),
        ("结论 Verdict", _verdict(run.passed)),
        ("隔离 Quarantined", "是 yes" if run.blocking_failed else "否 no"),
    ]
    return _templates().get_template("report.html").render(
        title_zh=f"数据校验报告 {run.resource_code}", title_en=f"Validation report, run {run.id}",
        facts=facts, sections=[summary, samples],
    )  # fmt: skip


def comparison_json(run: ComparisonRun, report: dict[str, Any]) -> dict[str, Any]:
    """The run and ``report``: its report as shown to the reader (quality.disclosure)."""
    return {
        "run": run.id,
        "comparison_id": run.comparison_id,
        "left_snapshot_id": run.left_snapshot_id,
        "right_snapshot_id": run.right_snapshot_id,
        "finished_at": run.finished_at.isoformat(),
        "seconds": run.seconds,
        "left_rows": run.left_rows,
        "right_rows": run.right_rows,
        "matched": run.matched,
        "mismatched_rows": run.mismatched_rows,
        "left_only": run.left_only,
        "right_only": run.right_only,
        **report,
    }


def comparison_html(run: ComparisonRun, report: dict[str, Any]) -> str:
    counts = Section(
        "差异统计 Differences",
        ["信息项 Attribute", "不一致 Mismatched"],
        [[name, count] for name, count in report["mismatches"].items()],
    )
    findings = Section(
        "明细 Findings",
        ["类型 Kind", "键 Key", "信息项 Attribute", f"{report['left']}", f"{report['right']}"],
        [
            [{"mismatch": "不一致 mismatch", "left_only": "仅左侧 left only",
              "right_only": "仅右侧 right only"}[f["kind"]],
             json.dumps(f["key"], ensure_ascii=False), f.get("attribute", ""),
             f.get("left", ""), f.get("right", "")]
            for f in report["findings"]
        ],
        note=f"列出 {report['findings_shown']} / {report['findings_total']} 条 · "
        f"{report['findings_shown']} of {report['findings_total']} findings listed",
    )  # fmt: skip
    facts = [
        ("比对 Comparison", report["comparison"]),
        (
            "左 Left (reference)",
            f"{report['left']} @ {run.left_snapshot_id} · {run.left_rows} rows",
        ),
        ("右 Right", f"{report['right']} @ {run.right_snapshot_id} · {run.right_rows} rows"),
        ("规范化 Normalisation", ", ".join(report["normalise"]) or "—"),
        ("匹配 Matched keys", run.matched),
        ("仅左侧 Left only", run.left_only),
        ("仅右侧 Right only", run.right_only),
        ("时间 Finished", run.finished_at.isoformat(timespec="seconds")),
    ]
    return _templates().get_template("report.html").render(
        title_zh=f"数据比对报告 {report['comparison']}", title_en=f"Comparison report, run {run.id}",
        facts=facts, sections=[counts, findings],
    )  # fmt: skip


def working_days_between(start: datetime, end: datetime, calendar: WorkingDayCalendar) -> int:
    """Whole working days from the day after ``start`` up to and including ``end``'s day."""
    day, last, count = (
        start.astimezone(calendar.zone).date(),
        end.astimezone(calendar.zone).date(),
        0,
    )
    while day < last:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count


def steward_overview(
    session: Session, *, now: datetime, calendar: WorkingDayCalendar
) -> dict[str, Any]:
    """Pass rate per resource and day, open issues per department with their age in working
    days, and how many are overdue."""
    day = func.date(ValidationRun.finished_at)
    pass_rates: dict[str, list[dict[str, Any]]] = {}
    for code, on, runs, passed in session.execute(
        select(
            ValidationRun.resource_code, day, func.count(),
            func.sum(case((ValidationRun.passed.is_(True), 1), else_=0)),
        )
        .group_by(ValidationRun.resource_code, day)
        .order_by(ValidationRun.resource_code, day)
    ):  # fmt: skip
        pass_rates.setdefault(code, []).append(
            {
                "day": str(on),
                "runs": runs,
                "passed": int(passed or 0),
                "rate": int(passed or 0) / runs,
            }
        )
    overdue_ids = set(
        session.scalars(
            select(Deadline.subject_id).where(
                Deadline.kind == FEEDBACK,
                Deadline.status == DeadlineStatus.RUNNING,
                Deadline.due_at <= now,
            )
        )
    )
    departments: dict[int, dict[str, Any]] = {}
    for issue, name in session.execute(
        select(QualityIssue, Department.name)
        .join(Department, Department.id == QualityIssue.department_id)
        .where(QualityIssue.state.in_([str(s) for s in UNRESOLVED]))
        .order_by(QualityIssue.id)
    ):
        entry = departments.setdefault(
            issue.department_id,
            {
                "department_id": issue.department_id,
                "department": name,
                "open": 0,
                "overdue": 0,
                "issues": [],
            },
        )
        overdue = str(issue.id) in overdue_ids
        entry["open"] += 1
        entry["overdue"] += overdue
        entry["issues"].append({
            "id": issue.id, "title": issue.title, "state": issue.state, "overdue": overdue,
            "age_working_days": working_days_between(issue.opened_at, now, calendar),
        })  # fmt: skip
    recent = session.execute(
        select(ComparisonRun, Comparison.name)
        .join(Comparison, Comparison.id == ComparisonRun.comparison_id)
        .order_by(ComparisonRun.id.desc())
        .limit(20)
    )
    return {
        "pass_rates": pass_rates,
        "departments": list(departments.values()),
        "overdue": sum(d["overdue"] for d in departments.values()),
        "open": sum(d["open"] for d in departments.values()),
        "comparison_runs": [
            {"run": run.id, "comparison": name, "finished_at": run.finished_at,
             "findings": run.report["findings_total"], "report": f"/quality/comparison-runs/{run.id}/report"}
            for run, name in recent
        ],
        "resources_checked": session.scalar(select(func.count(func.distinct(Resource.id))).join(
            ValidationRun, ValidationRun.resource_id == Resource.id)),
    }  # fmt: skip


def shown_validation(run: ValidationRun, viewer: Principal, readable: Readable) -> dict[str, Any]:
    return disclosure.validation_report(run.report, run.resource_code, viewer, readable)


def shown_comparison(run: ComparisonRun, viewer: Principal, readable: Readable) -> dict[str, Any]:
    return disclosure.comparison_report(run.report, viewer, readable)


def shown_issue_rows(
    session: Session, issue: QualityIssue, viewer: Principal, readable: Readable
) -> list[dict[str, Any]]:
    """An issue's rows as its reader may see them: values of items it may not read withheld."""
    if disclosure.sees_every_value(viewer):
        return issue.rows
    if issue.origin == IssueOrigin.INGEST:
        code = session.get_one(Resource, issue.resource_id).code
        return disclosure.set_aside_rows(issue.rows, readable(code))
    if issue.comparison_run_id is not None:
        compared = session.get_one(ComparisonRun, issue.comparison_run_id)
        return disclosure.comparison_rows(compared.report, issue.rows, readable)
    assert issue.validation_run_id is not None
    validated = session.get_one(ValidationRun, issue.validation_run_id)
    return disclosure.validation_rows(
        validated.report, issue.rows, validated.resource_code, readable
    )


def shown_findings(
    session: Session, issue: QualityIssue, viewer: Principal, readable: Readable
) -> list[dict[str, Any]]:
    """The issue's findings, each with its ref, row key and name, values and answer, as
    ``viewer`` may see them."""
    keys, name = findings.located(session, issue)
    shown = shown_issue_rows(session, issue, viewer, readable)
    return [
        findings.finding_view(f, keys, name) for f in findings.findings_of(session, issue, shown)
    ]
