"""Reports for stewards: each validation run and comparison run as JSON and as an HTML page that
opens offline (no scripts, fonts or styles from anywhere else), and the steward overview."""

import json
from dataclasses import dataclass, field
from datetime import datetime
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
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.svg_charts import bars
from exchange.workdays import WorkingDayCalendar
from exchange.workdays.deadline import working_days_left
from quality import disclosure, findings
from quality.disclosure import Readable
from quality.issues import UNRESOLVED, heading
from quality.models import FEEDBACK, Comparison, ComparisonRun, QualityIssue, ValidationRun
from quality.runner import SAMPLE_ROWS
from quality.suites import check_message
from quality.vocab import IssueOrigin


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str | None = None
    chart: str = ""  # inline SVG (exchange.svg_charts): the reports run no script


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )


def may_see_runs(actor: Principal, provider_id: int) -> bool:
    """Runs and reports are for the department whose data was checked and the city's offices."""
    return actor.department_id == provider_id or sees_all(actor, Records.QUALITY_ISSUE)


def visible_validation_run(session: Session, run_id: int, actor: Principal) -> ValidationRun:
    run = session.get(ValidationRun, run_id)
    if run is None or not may_see_runs(
        actor, get_resource(session, run.resource_code).provider_department_id
    ):
        raise not_found(run, "no validation run {run_id}", run_id=run_id)
    return run


def visible_comparison_run(session: Session, run_id: int, actor: Principal) -> ComparisonRun:
    run = session.get(ComparisonRun, run_id)
    providers = [] if run is None else [
        get_resource(session, code).provider_department_id
        for code in (run.report["left"], run.report["right"])
    ]  # fmt: skip
    if run is None or not any(may_see_runs(actor, p) for p in providers):
        raise not_found(run, "no comparison run {run_id}", run_id=run_id)
    return run


class _Words:
    """A report's words in one language: each a message id of the catalogs."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, message: str, **params: Any) -> str:
        return Message(message, **params).in_language(self.language)

    def verdict(self, ok: bool) -> str:
        return (Message("passed") if ok else Message("failed")).in_language(self.language)

    def yes_no(self, value: bool) -> str:
        return (Message("yes") if value else Message("no")).in_language(self.language)


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


def validation_html(run: ValidationRun, report: dict[str, Any], language: str = "zh") -> str:
    say = _Words(language)
    checks = report["checks"]
    summary = Section(
        say("Checks"),
        [say("Check"), say("Description"), say("Blocking"), say("Result"), say("Failing rows")],
        [
            [c["check"], check_message(c["kind"], c["columns"]).in_language(language),
             say.yes_no(c["blocking"]), say.verdict(c["success"]), c["failed_rows"]]
            for c in checks
        ],
    )  # fmt: skip
    failing = [c for c in checks if not c["success"]]
    summary.chart = bars(say("Failing rows"), [c["check"] for c in failing],
                         [c["failed_rows"] for c in failing])  # fmt: skip
    samples = Section(say("Failing values"), [say("Check"), say("Value"), say("Row keys")])
    for check in checks:
        for sample in check["samples"]:
            keys = {k: v for k, v in sample.items() if k != "value"}
            samples.rows.append(
                [check["check"], sample.get("value"), json.dumps(keys, ensure_ascii=False)]
            )
    samples.note = say("at most {count} rows are listed per check", count=SAMPLE_ROWS)
    facts = [
        (say("Resource"), run.resource_code),
        (say("Snapshot"), run.snapshot_id),
        (say("Finished"), run.finished_at.isoformat(timespec="seconds")),
        (say("Rows"), run.rows),
        (say("Verdict"), say.verdict(run.passed)),
        (say("Quarantined"), say.yes_no(run.blocking_failed)),
    ]
    return _templates().get_template("report.html").render(
        title=say("Validation report {code}, run {run}", code=run.resource_code, run=run.id),
        facts=facts, sections=[summary, samples], language=language,
        failed=say.verdict(False), passed=say.verdict(True), none=say("none"),
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


def comparison_html(run: ComparisonRun, report: dict[str, Any], language: str = "zh") -> str:
    say = _Words(language)
    counts = Section(
        say("Differences"),
        [say("Attribute"), say("Mismatched")],
        [[name, count] for name, count in report["mismatches"].items()],
    )
    counts.chart = bars(
        say("Differences"),
        [say("Matched keys"), say("Mismatched"), say("left_only"), say("right_only")],
        [run.matched, run.mismatched_rows, run.left_only, run.right_only],
    )
    findings = Section(
        say("Findings"),
        [say("Kind"), say("Key"), say("Attribute"), f"{report['left']}", f"{report['right']}"],
        [
            [say(f["kind"]), json.dumps(f["key"], ensure_ascii=False), f.get("attribute", ""),
             f.get("left", ""), f.get("right", "")]
            for f in report["findings"]
        ],
        note=say("{shown} of {total} findings listed", shown=report["findings_shown"],
                 total=report["findings_total"]),
    )  # fmt: skip
    rows = say("rows")
    facts = [
        (say("Comparison"), report["comparison"]),
        (say("Left (reference)"),
         f"{report['left']} @ {run.left_snapshot_id} · {run.left_rows} {rows}"),
        (say("Right"), f"{report['right']} @ {run.right_snapshot_id} · {run.right_rows} {rows}"),
        (say("Normalisation"), ", ".join(say(n) for n in report["normalise"]) or "—"),
        (say("Matched keys"), run.matched),
        (say("left_only"), run.left_only),
        (say("right_only"), run.right_only),
        (say("Finished"), run.finished_at.isoformat(timespec="seconds")),
    ]  # fmt: skip
    return _templates().get_template("report.html").render(
        title=say("Comparison report {name}, run {run}", name=report["comparison"], run=run.id),
        facts=facts, sections=[counts, findings], language=language,
        failed=say.verdict(False), passed=say.verdict(True), none=say("none"),
    )  # fmt: skip


def steward_overview(
    session: Session, *, now: datetime, calendar: WorkingDayCalendar, language: str = "en"
) -> dict[str, Any]:
    """Pass rate per resource and day, open issues per department with their age in working
    days, and how many are overdue; issue titles in ``language``."""
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
    for issue, name, department_code in session.execute(
        select(QualityIssue, Department.name, Department.code)
        .join(Department, Department.id == QualityIssue.department_id)
        .where(QualityIssue.state.in_([str(s) for s in UNRESOLVED]))
        .order_by(QualityIssue.id)
    ):
        entry = departments.setdefault(
            issue.department_id,
            {
                "department_id": issue.department_id,
                "department": name,
                "department_code": department_code,
                "open": 0,
                "overdue": 0,
                "issues": [],
            },
        )
        overdue = str(issue.id) in overdue_ids
        entry["open"] += 1
        entry["overdue"] += overdue
        entry["issues"].append({
            "id": issue.id, "title": heading(issue).in_language(language),
            "state": issue.state, "overdue": overdue,
            "age_working_days": working_days_left(
                issue.opened_at, now.astimezone(calendar.zone).date(), calendar
            ),
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


def shown_validation(run: ValidationRun, actor: Principal, readable: Readable) -> dict[str, Any]:
    return disclosure.validation_report(run.report, run.resource_code, actor, readable)


def shown_comparison(run: ComparisonRun, actor: Principal, readable: Readable) -> dict[str, Any]:
    return disclosure.comparison_report(run.report, actor, readable)


def shown_issue_rows(
    session: Session, issue: QualityIssue, actor: Principal, readable: Readable
) -> list[dict[str, Any]]:
    """An issue's rows as its reader may see them: values of items it may not read withheld."""
    if disclosure.sees_every_value(actor):
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
    session: Session, issue: QualityIssue, actor: Principal, readable: Readable
) -> list[dict[str, Any]]:
    """The issue's findings, each with its ref, row key and name, values and answer, as
    ``actor`` may see them."""
    keys, name = findings.located(session, issue)
    shown = shown_issue_rows(session, issue, actor, readable)
    return [
        findings.finding_view(f, keys, name) for f in findings.findings_of(session, issue, shown)
    ]
