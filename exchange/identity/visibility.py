"""Who sees every department's records, by kind of record: the one place it is written.

A department sees its own records of every kind; these roles see every department's, because
their duty is oversight of that kind (R16, R19, R20). The API and the portal, lists and single
records, all ask here, so the two cannot drift apart: :func:`sees_all` for one record,
:func:`own_only` for the filter a list query adds.
"""

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, or_

from exchange.identity.roles import Role
from exchange.principal import Principal


class Records(StrEnum):
    CATALOG_DRAFT = "catalog_draft"  # entries not published yet (published ones are for all)
    SOURCE = "source"  # where a department's data is pulled from, and its runs
    USER = "user"  # people and their roles
    VALUES_IN_REPORTS = "values_in_reports"  # data values quality reports show (R18, R22)
    QUALITY_ISSUE = "quality_issue"  # and the validation and comparison runs behind them
    ACCESS_REQUEST = "access_request"
    DISPUTE = "dispute"
    DEADLINE = "deadline"
    USAGE_STATEMENT = "usage_statement"
    SUPERVISION = "supervision"  # freshness warnings, suspensions, violations
    PROJECT = "project"  # information-system projects, their plans, checks and funding flags
    CLOUD = "cloud"  # cloud applications, their work orders and lines


OVERSIGHT: dict[Records, frozenset[Role]] = {
    Records.CATALOG_DRAFT: frozenset({Role.BUREAU_ADMIN}),
    Records.SOURCE: frozenset({Role.BUREAU_ADMIN}),
    Records.USER: frozenset(
        {Role.BUREAU_ADMIN, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR}
    ),
    # A steward's duty is to compare the departments' data; everyone else sees what they may read.
    Records.VALUES_IN_REPORTS: frozenset({Role.DATA_STEWARD}),
    Records.QUALITY_ISSUE: frozenset(
        {Role.DATA_STEWARD, Role.COORDINATING_OFFICE, Role.BUREAU_ADMIN, Role.AUDITOR}
    ),
    Records.ACCESS_REQUEST: frozenset({Role.COORDINATING_OFFICE, Role.BUREAU_ADMIN, Role.AUDITOR}),
    Records.DISPUTE: frozenset({Role.COORDINATING_OFFICE, Role.BUREAU_ADMIN, Role.AUDITOR}),
    Records.DEADLINE: frozenset({Role.COORDINATING_OFFICE, Role.BUREAU_ADMIN, Role.AUDITOR}),
    Records.USAGE_STATEMENT: frozenset({Role.BUREAU_ADMIN, Role.AUDITOR}),
    Records.SUPERVISION: frozenset({Role.BUREAU_ADMIN, Role.AUDITOR, Role.DATA_STEWARD}),
    # The bureau reviews projects; the development-and-reform and finance offices approve and fund
    # them (R24-R27). An expert sees the projects assigned to them, no others.
    Records.PROJECT: frozenset(
        {
            Role.PROJECT_REVIEWER,
            Role.BUREAU_ADMIN,
            Role.REFORM_OFFICE,
            Role.FINANCE_OFFICE,
            Role.AUDITOR,
        }
    ),
    # The bureau's cloud staff run the cloud service (R30-R33); a provider sees only the work
    # orders addressed to it, never the applications.
    Records.CLOUD: frozenset({Role.CLOUD_REVIEWER, Role.BUREAU_ADMIN, Role.AUDITOR}),
}


def sees_all(actor: Principal, records: Records) -> bool:
    """Whether ``actor`` sees every department's records of this kind."""
    return actor.is_system or actor.has_any(*OVERSIGHT[records])


def own_only(
    actor: Principal, records: Records, *department_columns: Any
) -> ColumnElement[bool] | None:
    """The filter a list query adds for ``actor``: none for oversight roles, else rows whose
    department (any of ``department_columns``: a request has a consumer and a provider) is the
    actor's."""
    if sees_all(actor, records):
        return None
    if actor.department_id is None:
        return false()
    return or_(*(column == actor.department_id for column in department_columns))
