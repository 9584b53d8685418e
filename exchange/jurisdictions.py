"""Jurisdiction profiles (R34): the cities' rules differ in their time limits, so the platform
ships named sets of them. ``EXCHANGE_JURISDICTION`` chooses one; any single setting given on its
own (``EXCHANGE_CLOUD_CHANGE_REVIEW=5wd``) still overrides the profile's value.

Lengths are written as spans (:class:`exchange.workdays.spans.Span`): ``3wd`` working days,
``24h`` elapsed hours, ``30d`` calendar days, ``6mo`` months; the sharing deadlines keep their
settings in working days. ``default`` is the platform's own reading of the regulations (RULES.md);
the two cities are those RULES.md cites.
"""

from typing import Any

SHARING = {
    "catalog_update_days": 3,  # R7
    "access_review_days": 3,  # R14
    "quality_feedback_days": 5,  # R19
    "dispute_ruling_days": 5,
    "freshness_grace_days": 5,  # R11
}

DEFAULT: dict[str, Any] = {
    **SHARING,
    "cloud_acceptance": "3wd",
    "cloud_approval": "2wd",
    "cloud_work_order": "3wd",
    "cloud_provisioning": "24h",
    "cloud_trial": "30d",
    "cloud_test_review": "2wd",
    "cloud_change_review": "2wd",
    "cloud_change_done": "24h",
    "cloud_exit_review": "5wd",
    "cloud_reclaim": "3wd",
}

PROFILES: dict[str, dict[str, Any]] = {
    "default": DEFAULT,
    # 盘锦: the trial environment in 2 working days, a trial of 15-30 days, change review in 5
    # working days and the change done in 3.
    "panjin": {
        **DEFAULT,
        "cloud_provisioning": "2wd",
        "cloud_change_review": "5wd",
        "cloud_change_done": "3wd",
    },
    # 滨州: acceptance in 5 working days; resources in 24 hours, a trial of 30 days from opening,
    # change review in 2 working days and the change done in 24 hours, as by default.
    "binzhou": {**DEFAULT, "cloud_acceptance": "5wd"},
}


def with_profile(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (settings as given) completed by the chosen profile where they are silent."""
    name = str(values.get("jurisdiction") or "default")
    if name not in PROFILES:
        raise ValueError(f"no jurisdiction profile {name!r}; choose one of {', '.join(PROFILES)}")
    return {**PROFILES[name], **values}
