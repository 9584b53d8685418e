"""Supervision (R11, R17, R20): freshness enforcement, department scorecards, violations."""

from exchange.identity.roles import Role

# Who sees every department's warnings, suspensions and violations; others see their own.
SUPERVISORS = (Role.BUREAU_ADMIN, Role.AUDITOR, Role.DATA_STEWARD)
