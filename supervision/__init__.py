"""Supervision (R11, R17, R20): freshness enforcement, department scorecards, violations."""
