"""Deadline-tracked workflows and the sweep: reminders and escalation, exactly once each."""

import threading
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.db import Database
from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.deadlines.service import Assignment, find_open_deadline
from exchange.deadlines.sweep import sweep
from exchange.errors import IllegalTransition, PermissionDenied
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.identity.service import principal_for
from exchange.notifications.models import Notification
from exchange.runtime import Platform
from exchange.workflow import DeadlineEffect, DeadlineStep, Transition, Workflow, take_action
from exchange.workflow.engine import history
from tests.conftest import local
from tests.factories import make_department, make_user

REVIEW = "review"
SAMPLE = Workflow(
    name="sample",
    subject_type="sample_request",
    transitions=(
        Transition(
            "submit",
            frozenset({"draft"}),
            "submitted",
            frozenset({Role.CONSUMER}),
            (DeadlineStep(DeadlineEffect.START, REVIEW, "access_review_days"),),
        ),
        Transition(
            "ask_info",
            frozenset({"submitted"}),
            "awaiting_info",
            frozenset({Role.DATA_REVIEWER}),
            (DeadlineStep(DeadlineEffect.PAUSE, REVIEW),),
        ),
        Transition(
            "answer",
            frozenset({"awaiting_info"}),
            "submitted",
            frozenset({Role.CONSUMER}),
            (DeadlineStep(DeadlineEffect.RESUME, REVIEW),),
        ),
        Transition(
            "approve",
            frozenset({"submitted"}),
            "approved",
            frozenset({Role.DATA_REVIEWER}),
            (DeadlineStep(DeadlineEffect.STOP, REVIEW),),
        ),
    ),
)


@dataclass
class SampleRequest:
    id: int
    state: str
    provider: Department

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(self.provider.id, Role.DATA_REVIEWER, Role.COORDINATING_OFFICE)

    def deadline_title(self, kind: str) -> Message:
        return Message("Decide access request {id}", id=self.id)


@dataclass
class World:
    provider: Department
    reviewer_id: int
    consumer_id: int
    coordinator_id: int


@pytest.fixture
def world(platform: Platform) -> World:
    return make_world(platform)


def make_world(platform: Platform) -> World:
    """A provider with a reviewer (who has an e-mail address), a consumer and a coordinator."""
    with platform.database.transaction() as session:
        provider = make_department(session, platform)
        consumer_department = make_department(session, platform)
        bureau = make_department(session, platform)
        reviewer = make_user(
            session, platform, provider, Role.DATA_REVIEWER, email="reviewer@city.invalid"
        )
        consumer = make_user(session, platform, consumer_department, Role.CONSUMER)
        coordinator = make_user(session, platform, bureau, Role.COORDINATING_OFFICE)
    return World(provider, reviewer.id, consumer.id, coordinator.id)


def act(
    platform: Platform,
    subject: SampleRequest,
    action: str,
    user_id: int,
    workflow: Workflow = SAMPLE,
) -> None:
    from exchange.identity.service import get_user

    with platform.database.transaction() as session:
        actor = principal_for(get_user(session, user_id))
        take_action(
            session,
            workflow,
            subject,
            action,
            actor=actor,
            env=platform.workflow_environment(session),
        )


def open_review(platform: Platform, subject: SampleRequest) -> Deadline:
    with platform.database.transaction() as session:
        deadline = find_open_deadline(
            session, kind=REVIEW, subject_type="sample_request", subject_id=subject.id
        )
        assert deadline is not None
        return deadline


def run_sweep(platform: Platform) -> tuple[int, int]:
    with platform.database.transaction() as session:
        result = sweep(session, now=platform.clock.now())
    return result.reminded, result.escalated


def inbox_kinds(platform: Platform, user_id: int) -> list[str]:
    with platform.database.transaction() as session:
        return list(
            session.scalars(
                select(Notification.kind)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        )


def test_r14_deadline_starts_on_submit_and_stops_on_decision(
    platform: Platform, world: World
) -> None:
    request = SampleRequest(1, "draft", world.provider)
    act(platform, request, "submit", world.consumer_id)
    deadline = open_review(platform, request)
    assert deadline.due_date == date(2026, 11, 27)  # Tue 24 Nov + 3 working days
    act(platform, request, "approve", world.reviewer_id)
    with platform.database.transaction() as session:
        stopped = session.get_one(Deadline, deadline.id)
        assert stopped.status == DeadlineStatus.STOPPED
        assert stopped.met_in_time is True
        events = history(session, subject_type="sample_request", subject_id=1)
        assert [(e.action, e.from_state, e.to_state) for e in events] == [
            ("submit", "draft", "submitted"),
            ("approve", "submitted", "approved"),
        ]
        actions = session.scalars(
            select(AuditRecord.action)
            .where(AuditRecord.action.like("sample.%"))
            .order_by(AuditRecord.seq)
        ).all()
        assert actions == ["sample.submit", "sample.approve"]


def test_wrong_role_and_illegal_transition_are_refused(platform: Platform, world: World) -> None:
    request = SampleRequest(2, "draft", world.provider)
    with pytest.raises(PermissionDenied, match="one of the roles: consumer"):
        act(platform, request, "submit", world.reviewer_id)
    assert request.state == "draft"
    with pytest.raises(IllegalTransition, match="cannot approve: the sample request is draft"):
        act(platform, request, "approve", world.reviewer_id)


def test_r14_reminder_and_escalation_across_national_day_exactly_once(
    platform: Platform, world: World, clock: FrozenClock
) -> None:
    clock.set(local(2026, 9, 30, 16, 0))
    request = SampleRequest(3, "draft", world.provider)
    act(platform, request, "submit", world.consumer_id)
    deadline = open_review(platform, request)
    assert deadline.due_date == date(2026, 10, 10)

    clock.set(local(2026, 10, 9, 18, 0))  # working days 1-2 done, nothing due yet
    assert run_sweep(platform) == (0, 0)
    clock.set(local(2026, 10, 10, 8, 0))  # the last working day (a make-up Saturday) begins
    assert run_sweep(platform) == (1, 0)
    assert run_sweep(platform) == (0, 0)
    assert inbox_kinds(platform, world.reviewer_id) == ["deadline.reminder"]

    clock.set(local(2026, 10, 10, 23, 59))
    assert run_sweep(platform) == (0, 0)
    clock.set(local(2026, 10, 11, 0, 0))
    assert run_sweep(platform) == (0, 1)
    clock.advance(timedelta(days=3))
    assert run_sweep(platform) == (0, 0)
    assert inbox_kinds(platform, world.reviewer_id) == ["deadline.reminder", "deadline.overdue"]
    assert inbox_kinds(platform, world.coordinator_id) == ["deadline.overdue"]
    assert inbox_kinds(platform, world.consumer_id) == []
    with platform.database.transaction() as session:
        assert (
            session.scalar(select(func.count()).where(AuditRecord.action == "deadline.overdue"))
            == 1
        )

    act(platform, request, "approve", world.reviewer_id)
    with platform.database.transaction() as session:
        assert session.get_one(Deadline, deadline.id).met_in_time is False


def test_r14_pause_keeps_the_days_left_and_resume_restarts_them(
    platform: Platform, world: World, clock: FrozenClock
) -> None:
    clock.set(local(2026, 9, 24, 10, 0))  # Thursday before Mid-Autumn
    request = SampleRequest(4, "draft", world.provider)
    act(platform, request, "submit", world.consumer_id)
    assert open_review(platform, request).due_date == date(2026, 9, 30)
    clock.set(local(2026, 9, 28, 11, 0))  # Monday, day 1 is spent
    act(platform, request, "ask_info", world.reviewer_id)
    paused = open_review(platform, request)
    assert paused.status == DeadlineStatus.PAUSED
    assert paused.remaining == 2
    clock.set(local(2026, 10, 5, 9, 0))  # answered during National Day
    act(platform, request, "answer", world.consumer_id)
    resumed = open_review(platform, request)
    assert resumed.status == DeadlineStatus.RUNNING
    assert resumed.due_date == date(2026, 10, 9)  # Thu 8 (1), Fri 9 (2)
    assert run_sweep(platform) == (0, 0)


def test_concurrent_sweeps_remind_once(
    platform: Platform, world: World, clock: FrozenClock
) -> None:
    for i in range(5):
        act(platform, SampleRequest(10 + i, "draft", world.provider), "submit", world.consumer_id)
    clock.set(local(2026, 11, 27, 9, 0))
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def one_sweep() -> None:
        try:
            results.append(run_sweep(platform))
        except Exception as error:  # SQLite may refuse a second writer; PostgreSQL must not
            errors.append(error)

    threads = [threading.Thread(target=one_sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if platform.database.dialect == "postgresql":
        assert errors == []
    assert sum(r[0] for r in results) == 5
    assert inbox_kinds(platform, world.reviewer_id).count("deadline.reminder") == 5


def test_provisional_deadline_is_recomputed_when_the_year_is_imported(
    platform: Platform, world: World, clock: FrozenClock
) -> None:
    from exchange.principal import Principal
    from exchange.workdays.schedule import import_schedule, parse_schedule_csv

    clock.set(local(2026, 12, 30, 10, 0))
    request = SampleRequest(20, "draft", world.provider)
    act(platform, request, "submit", world.consumer_id)
    before = open_review(platform, request)
    assert (before.due_date, before.provisional) == (date(2027, 1, 4), True)
    days = parse_schedule_csv("date,type,name\n2027-01-01,holiday,元旦\n")
    with platform.database.transaction() as session:
        result = import_schedule(
            session,
            days=days,
            source="2027.csv",
            actor=Principal.system("t"),
            now=clock.now(),
            zone=platform.settings.zone,
        )
    assert result.recomputed_deadlines == 1
    after = open_review(platform, request)
    assert (after.due_date, after.provisional) == (date(2027, 1, 5), False)


def test_settings_change_the_deadline_length(
    platform: Platform, world: World, database: Database
) -> None:
    platform.settings.access_review_days = 10
    request = SampleRequest(30, "draft", world.provider)
    act(platform, request, "submit", world.consumer_id)
    assert open_review(platform, request).due_date == date(2026, 12, 8)
