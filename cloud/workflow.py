"""An application's way to production and a work order's to done, as transition tables (R30,
R31). Roles come from the action table; each limit is a setting of the jurisdiction profile, in
working days, hours or calendar days (R34)."""

from cloud.models import ACCEPTANCE, APPROVAL, MLPS, PROVISIONING, TEST_REVIEW, TRIAL, WORK_ORDER
from cloud.vocab import ApplicationState as S
from cloud.vocab import WorkOrderState
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
    ),
)  # fmt: skip

WORK_ORDER_FLOW = Workflow(
    name="cloud_work_order",
    subject_type="cloud_work_order",
    transitions=(
        Transition("issue", frozenset({WorkOrderState.ISSUED}), WorkOrderState.ISSUED,
                   _roles("cloud_application", "order"), (_start(PROVISIONING),)),
        Transition("complete", frozenset({WorkOrderState.ISSUED}), WorkOrderState.DONE,
                   _roles("cloud_work_order", "open"), (_stop(PROVISIONING),)),
    ),
)  # fmt: skip
