"""Answering a quality issue finding by finding (R19).

An issue carries every row its check found: a validation issue can hold hundreds of rows of
several checks, and the responsible department may have corrected some, confirmed others with
evidence and disputed the rest. Each finding is answered on its own — one at a time, by selection
in the portal, or in a spreadsheet worked through offline and uploaded back — and once every
finding has its answer the issue is answered: with that kind when all agree, *mixed* otherwise.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.errors import InvalidInput
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment
from quality import issues
from quality.models import FindingAnswer, QualityIssue
from quality.vocab import AnswerKind, IssueState

# Fields that describe a finding rather than name it: a changed wording is the same finding.
DESCRIPTIVE = frozenset({"description", "problems", "name"})


def finding_ref(row: dict[str, Any]) -> str:
    """A stable name for a finding: the same check on the same row gives the same ref."""
    named = {k: v for k, v in row.items() if k not in DESCRIPTIVE}
    return hashlib.sha256(orjson.dumps(named, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    ref: str
    row: dict[str, Any]  # as the reader may see it
    answer: FindingAnswer | None


def findings_of(
    session: Session, issue: QualityIssue, shown: list[dict[str, Any]]
) -> list[Finding]:
    """The issue's findings with their answers; ``shown`` is ``issue.rows`` as the reader may
    see them (values withheld), in the same order."""
    answers = {
        a.ref: a
        for a in session.scalars(select(FindingAnswer).where(FindingAnswer.issue_id == issue.id))
    }
    refs = [finding_ref(row) for row in issue.rows]
    return [Finding(ref, row, answers.get(ref)) for ref, row in zip(refs, shown, strict=True)]


def answer_findings(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    issue_id: int,
    answers: list[tuple[str, AnswerKind, str, str | None]],
) -> QualityIssue:
    """Record ``(ref, kind, text, evidence)`` answers, all or none; the issue is answered once
    every finding is."""
    issue = issues.require_may_answer(session, actor, issue_id)
    if issue.state not in (IssueState.OPEN, IssueState.ACKNOWLEDGED):
        raise InvalidInput(
            "the issue is {state}: its findings are answered while it is open",
            detail={"state": issue.state},
            error_code="issue_not_open",
            state=issue.state,
        )
    known = {finding_ref(row) for row in issue.rows}
    if not answers:
        raise InvalidInput("select the findings to answer", detail={"field": "refs"})
    for position, (ref, kind, text, evidence) in enumerate(answers, start=1):
        if ref not in known:
            raise InvalidInput(
                "answer {position}: {ref} is not a finding of issue {issue_id}",
                detail={"field": "refs", "ref": ref, "position": position},
                position=position,
                ref=ref,
                issue_id=issue_id,
            )
        issues.check_answer(kind, text, evidence, position=position)
    stored = {
        a.ref: a
        for a in session.scalars(select(FindingAnswer).where(FindingAnswer.issue_id == issue.id))
    }
    for ref, kind, text, evidence in answers:
        answer = stored.get(ref) or FindingAnswer(issue_id=issue.id, ref=ref)
        answer.kind, answer.text, answer.evidence = kind, text.strip(), (evidence or None)
        answer.answered_by, answer.answered_at = actor.user_id, env.now
        session.add(answer)
        stored[ref] = answer
    session.flush()
    issues.record_finding_answers(session, issue, actor=actor, env=env, count=len(answers))
    if known <= stored.keys():
        kinds = {stored[ref].kind for ref in known}
        kind = AnswerKind(kinds.pop()) if len(kinds) == 1 else AnswerKind.MIXED
        counts = {k: sum(1 for ref in known if stored[ref].kind == k) for k in AnswerKind}
        summary = "; ".join(f"{k}: {n}" for k, n in counts.items() if n)
        issues.record_answer(
            session, issue, actor=actor, env=env, kind=kind,
            text=f"every finding answered ({summary})",
            evidence="per finding" if kind in (AnswerKind.CONFIRMED, AnswerKind.MIXED) else None,
        )  # fmt: skip
    return issue


def unanswered(session: Session, issue: QualityIssue) -> int:
    answered = set(
        session.scalars(select(FindingAnswer.ref).where(FindingAnswer.issue_id == issue.id))
    )
    return sum(1 for row in issue.rows if finding_ref(row) not in answered)


def located(session: Session, issue: QualityIssue) -> tuple[list[str], str | None]:
    """The key items and the naming item of a validation issue's rows (others carry their key)."""
    from quality.models import ValidationRun

    if issue.validation_run_id is None:
        return [], None
    report = session.get_one(ValidationRun, issue.validation_run_id).report
    return list(report.get("keys") or []), report.get("name")


def finding_view(finding: Finding, keys: list[str], name: str | None) -> dict[str, Any]:
    """One finding in the same shape whatever found it: what, which row, its values, the answer."""
    row = finding.row
    view: dict[str, Any] = {"ref": finding.ref}
    if "check" in row:  # validation: the failing value with the row's key and name
        view |= {
            "check": row["check"],
            "key": {k: row.get(k) for k in keys},
            "name": row.get(name) if name else None,
            "value": row.get("value"),
        }
    elif row.get("kind") == "set_aside":
        view |= {
            "check": "set_aside",
            "line": row.get("line"),
            "file": row.get("file"),
            "problems": row.get("problems", []),
            "value": row.get("value"),
        }
    else:  # comparison
        view |= {"check": row.get("kind"), "key": row.get("key", {}), "name": row.get("name")}
        if row.get("kind") == "mismatch":
            view |= {
                "attribute": row.get("attribute"),
                "left": row.get("left"),
                "right": row.get("right"),
            }
    answer = finding.answer
    view["answer"] = (
        None
        if answer is None
        else {
            "kind": answer.kind,
            "text": answer.text,
            "evidence": answer.evidence,
            "answered_at": answer.answered_at,
        }
    )
    return view
