"""An application's way to production and a work order's to done, as transition tables (R30,
R31). Roles come from the action table; each limit is a setting of the jurisdiction profile, in
working days, hours or calendar days (R34)."""

from cloud.models import (
    ACCEPTANCE,
    APPROVAL,
    CHANGE_REVIEW,
    EXIT_REVIEW,
    MLPS,
    TEST_REVIEW,
    TRIAL,
    WORK_DEADLINES,
    WORK_ORDER,
)
from cloud.vocab import ApplicationState as S
from cloud.vocab import ChangeState, WorkOrderState
from exchange.actions import ACTIONS
from exchange.identity.roles import Role
from exchange.workflow import DeadlineEffect, DeadlineStep, Transition, Workflow


def _roles(obj: str, action: str) -> frozenset[Role]:
    return ACTIONS.roles_for(obj, action)


def _start(kind: str) -> DeadlineStep:
    return DeadlineStep(DeadlineEffect.START, kind, kind)  # each kind is named by its setting


def _stop(kind: str) -> DeadlineStep:
    return DeadlineStep(DeadlineEffect.STOP, kind)


APPLY, REVIEW = _roles("cloud_application", "apply"), _roles("cloud_application", "review")
FILE_TEST = _roles("cloud_application", "file_test")
REVIEW_TEST = _roles("cloud_application", "review_test")

APPLICATION = Workflow(
    name="cloud_application",
    subject_type="cloud_application",
    transitions=(
        Transition("submit", frozenset({S.SUBMITTED}), S.SUBMITTED, APPLY, (_start(ACCEPTANCE),)),
        Transition("resubmit", frozenset({S.REFUSED}), S.SUBMITTED, APPLY, (_start(ACCEPTANCE),)),
        Transition("refuse", frozenset({S.SUBMITTED}), S.REFUSED, REVIEW, (_stop(ACCEPTANCE),)),
        Transition("accept", frozenset({S.SUBMITTED}), S.ACCEPTED, REVIEW,
                   (_stop(ACCEPTANCE), _start(APPROVAL))),
        Transition("approve", frozenset({S.ACCEPTED}), S.APPROVED, REVIEW,
                   (_stop(APPROVAL), _start(WORK_ORDER))),
        Transition("order", frozenset({S.APPROVED}), S.ORDERED,
                   _roles("cloud_application", "order"), (_stop(WORK_ORDER),)),
        # The provider opens the resources; the trial runs from then (R31).
        Transition("open", frozenset({S.ORDERED}), S.TRIAL, _roles("cloud_work_order", "open"),
                   (_start(TRIAL),)),
        Transition("file_test", frozenset({S.TRIAL}), S.TEST_FILED, FILE_TEST,
                   (_stop(TRIAL), _start(TEST_REVIEW))),
        Transition("refile_test", frozenset({S.RECTIFYING}), S.TEST_FILED, FILE_TEST,
                   (_start(TEST_REVIEW),)),
        Transition("pass_test", frozenset({S.TEST_FILED}), S.PRODUCTION, REVIEW_TEST,
                   (_stop(TEST_REVIEW), _start(MLPS))),
        Transition("fail_test", frozenset({S.TEST_FILED}), S.RECTIFYING, REVIEW_TEST,
                   (_stop(TEST_REVIEW),)),
        # A major change refiles its materials and is tested again (R32).
        Transition("retest", frozenset({S.PRODUCTION}), S.TRIAL, REVIEW, (_start(TRIAL),)),
        Transition("exit", frozenset({S.PRODUCTION, S.TRIAL}), S.EXITING, REVIEW),
        Transition("close", frozenset({S.EXITING}), S.EXITED, APPLY),
    ),
)  # fmt: skip

CHANGE = Workflow(
    name="cloud_change",
    subject_type="cloud_change",
    transitions=(
        Transition("request_change", frozenset({ChangeState.REQUESTED}), ChangeState.REQUESTED,
                   APPLY, (_start(CHANGE_REVIEW),)),
        Transition("request_exit", frozenset({ChangeState.REQUESTED}), ChangeState.REQUESTED,
                   APPLY, (_start(EXIT_REVIEW),)),
        Transition("approve_change", frozenset({ChangeState.REQUESTED}), ChangeState.APPROVED,
                   REVIEW, (_stop(CHANGE_REVIEW),)),
        Transition("refuse_change", frozenset({ChangeState.REQUESTED}), ChangeState.REFUSED,
                   REVIEW, (_stop(CHANGE_REVIEW),)),
        Transition("approve_exit", frozenset({ChangeState.REQUESTED}), ChangeState.APPROVED,
                   REVIEW, (_stop(EXIT_REVIEW),)),
        Transition("refuse_exit", frozenset({ChangeState.REQUESTED}), ChangeState.REFUSED,
                   REVIEW, (_stop(EXIT_REVIEW),)),
        Transition("complete", frozenset({ChangeState.APPROVED}), ChangeState.DONE,
                   _roles("cloud_work_order", "open") | APPLY),
    ),
)  # fmt: skip

ORDER_ROLES, DONE_ROLES = _roles("cloud_application", "order"), _roles("cloud_work_order", "open")

# One pair of transitions per kind of work, each with the provider's limit for it (R30, R32).
WORK_ORDER_FLOW = Workflow(
    name="cloud_work_order",
    subject_type="cloud_work_order",
    transitions=tuple(
        transition
        for kind, deadline in WORK_DEADLINES.items()
        for transition in (
            Transition(f"issue_{kind}", frozenset({WorkOrderState.ISSUED}), WorkOrderState.ISSUED,
                       ORDER_ROLES, (_start(deadline),)),
            Transition(f"complete_{kind}", frozenset({WorkOrderState.ISSUED}),
                       WorkOrderState.DONE, DONE_ROLES, (_stop(deadline),)),
        )
    ),
)  # fmt: skip
