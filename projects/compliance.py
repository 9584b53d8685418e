"""A department's project compliance for its scorecard (R20, R27, R28): sharing checks that
failed, operation and maintenance funds withheld, tender documents filed late."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from projects.models import FundingFlag, Project, SharingCheck


@dataclass(frozen=True)
class Compliance:
    sharing_vetoes: int  # sharing checks of its projects that failed in the period
    funds_withheld: int  # 1 while a funding flag stands at the period's end (or now)
    late_filings: int  # tenders filed in the period later than allowed


def compliance(
    session: Session, department_id: int, start: datetime, end: datetime, as_of: datetime
) -> Compliance:
    mine = select(Project.id).where(Project.department_id == department_id)
    vetoes = session.scalar(
        select(func.count()).select_from(SharingCheck).where(
            SharingCheck.project_id.in_(mine), SharingCheck.passed.is_(False),
            SharingCheck.checked_at >= start, SharingCheck.checked_at < end,
        )
    )  # fmt: skip
    withheld = session.scalar(
        select(func.count()).select_from(FundingFlag).where(
            FundingFlag.department_id == department_id, FundingFlag.raised_at <= as_of,
            (FundingFlag.lifted_at.is_(None)) | (FundingFlag.lifted_at > as_of),
            FundingFlag.withheld.is_not(False),  # unless the finance office decided otherwise
        )
    )  # fmt: skip
    late = session.scalar(
        select(func.count()).select_from(Project).where(
            Project.department_id == department_id, Project.tender_filed_late.is_(True),
            Project.tender_filed_at >= start, Project.tender_filed_at < end,
        )
    )  # fmt: skip
    return Compliance(int(vetoes or 0), 1 if withheld else 0, int(late or 0))
