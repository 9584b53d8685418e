"""Deadlines in elapsed hours, calendar days and months beside working days (R34), and the
jurisdiction profiles that set every time limit (R30, R32, R34)."""

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.service import Assignment, pause_deadline, resume_deadline, start_deadline
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.notifications.models import Notification
from exchange.runtime import Platform
from exchange.settings import Settings
from exchange.workdays.calendar import WorkingDayCalendar
from exchange.workdays.spans import Span, TimeUnit, add_months, deadline_after
from exchange.workflow import DeadlineEffect, DeadlineStep, Transition, Workflow
from tests.conftest import local
from tests.integration.test_deadlines import SampleRequest, World, act, make_world, run_sweep

WORK_ORDER = "work_order"


@pytest.fixture
def world(platform: Platform) -> World:
    return make_world(platform)


PROVISIONING = Workflow(
    name="sample_work_order",
    subject_type="sample_request",
    transitions=(
        Transition("submit", frozenset({"draft"}), "ordered", frozenset({Role.CONSUMER}),
                   (DeadlineStep(DeadlineEffect.START, WORK_ORDER, "cloud_provisioning"),)),
        Transition("approve", frozenset({"ordered"}), "opened", frozenset({Role.DATA_REVIEWER}),
                   (DeadlineStep(DeadlineEffect.STOP, WORK_ORDER),)),
    ),
)  # fmt: skip


def test_r34_a_24_hour_work_order_opened_on_the_eve_of_national_day_is_due_the_next_day_at_17(
    platform: Platform, clock: FrozenClock, world: World
) -> None:
    clock.set(local(2026, 9, 30, 17, 0))
    order = SampleRequest(1, "draft", world.provider)
    act(platform, order, "submit", world.consumer_id, workflow=PROVISIONING)
    with platform.database.transaction() as session:
        deadline = session.scalars(select(Deadline).where(Deadline.kind == WORK_ORDER)).one()
        assert deadline.span == Span(24, TimeUnit.HOURS)
        assert deadline.due_at == local(2026, 10, 1, 17, 0)  # through the night and the holiday
        assert deadline.remind_at == local(2026, 10, 1, 11, 0)  # a quarter of the hours left
        working = deadline_after(local(2026, 9, 30, 17, 0), Span(1, TimeUnit.WORKING_DAYS),
                                 platform.calendar(session))  # fmt: skip
        assert working.due_date > date(2026, 10, 7)  # a working day waits out the holiday
    clock.set(local(2026, 10, 1, 10, 59))
    assert run_sweep(platform) == (0, 0)
    clock.set(local(2026, 10, 1, 11, 0))
    assert run_sweep(platform) == (1, 0)
    with platform.database.transaction() as session:
        reminder = session.scalars(
            select(Notification).where(Notification.user_id == world.reviewer_id)
        ).one()
        assert "2026-10-01 17:00" in reminder.body_message.in_language("en")  # type: ignore[union-attr]
    clock.set(local(2026, 10, 1, 17, 0))
    assert run_sweep(platform) == (0, 1)


def test_r34_calendar_days_count_from_the_next_day_and_months_end_on_the_matching_day() -> None:
    calendar = WorkingDayCalendar(Settings().zone)
    trial = deadline_after(local(2026, 11, 24, 10, 0), Span(30, TimeUnit.DAYS), calendar)
    assert trial.due_date == date(2026, 12, 24)
    assert trial.due_at == local(2026, 12, 25, 0, 0)
    assert trial.remind_at == local(2026, 12, 24, 0, 0)
    mlps = deadline_after(local(2026, 8, 31, 9, 0), Span(6, TimeUnit.MONTHS), calendar)
    assert mlps.due_date == date(2027, 2, 28)  # no 31 February: the month's last day
    assert mlps.remind_at == local(2027, 1, 30, 0, 0)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    for wrong in ("3", "0wd", "24 hours", "2w"):
        with pytest.raises(ValueError, match="length of time"):
            Span.parse(wrong)
    assert str(Span.parse(" 6mo ")) == "6mo"


def test_r34_a_paused_hour_deadline_keeps_its_hours(platform: Platform, world: World) -> None:
    with platform.database.transaction() as session:
        calendar = platform.calendar(session)
        deadline = start_deadline(
            session, kind="change", subject_type="sample_request", subject_id=7,
            title=Message("Carry out change {id}", id=7), span=Span(24, TimeUnit.HOURS),
            assignment=Assignment(world.provider.id, Role.DATA_REVIEWER), now=local(2026, 12, 4, 9, 0),
            calendar=calendar,
        )  # fmt: skip
        pause_deadline(deadline, now=local(2026, 12, 4, 19, 0), calendar=calendar)
        assert deadline.remaining == 14
        resume_deadline(deadline, now=local(2026, 12, 7, 9, 0), calendar=calendar)
        assert deadline.due_at == local(2026, 12, 7, 23, 0)
        assert (deadline.length, deadline.unit) == (14, TimeUnit.HOURS)


def test_r34_profiles_set_every_limit_and_single_settings_override_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panjin, binzhou, default = (
        Settings(jurisdiction=name) for name in ("panjin", "binzhou", "default")
    )
    assert (panjin.cloud_acceptance, binzhou.cloud_acceptance) == ("3wd", "5wd")
    assert (panjin.cloud_change_review, binzhou.cloud_change_review) == ("5wd", "2wd")
    assert (panjin.cloud_change_done, binzhou.cloud_change_done) == ("3wd", "24h")
    assert panjin.deadline_span("cloud_provisioning") == Span(2, TimeUnit.WORKING_DAYS)
    assert default.deadline_span("cloud_provisioning") == Span(24, TimeUnit.HOURS)
    # The sharing deadlines are in the same profiles.
    assert panjin.deadline_span("access_review_days") == Span(3, TimeUnit.WORKING_DAYS)

    # The same application, accepted under each profile's limit.
    calendar = WorkingDayCalendar(default.zone)
    filed = local(2026, 12, 7, 10, 0)  # a Monday
    due = {s.jurisdiction: deadline_after(filed, s.deadline_span("cloud_acceptance"), calendar).due_date
           for s in (panjin, binzhou)}  # fmt: skip
    assert due == {"panjin": date(2026, 12, 10), "binzhou": date(2026, 12, 14)}

    monkeypatch.setenv("EXCHANGE_JURISDICTION", "binzhou")
    monkeypatch.setenv("EXCHANGE_CLOUD_CHANGE_REVIEW", "4wd")
    monkeypatch.setenv("EXCHANGE_ACCESS_REVIEW_DAYS", "2")
    chosen = Settings()
    assert (chosen.cloud_acceptance, chosen.cloud_change_review) == ("5wd", "4wd")
    assert chosen.access_review_days == 2
    with pytest.raises(ValidationError, match="panjin"):
        Settings(jurisdiction="atlantis")
    with pytest.raises(ValidationError, match="length of time"):
        Settings(cloud_trial="a month")
