"""The project's review and acceptance as one transition table (R25-R27). Roles come from the
action table; the deadlines are working days (initial review, expert review, completion)."""

from exchange.actions import ACTIONS
from exchange.identity.roles import Role
from exchange.workflow import DeadlineEffect, DeadlineStep, Transition, Workflow
from projects.models import COMPLETION, EXPERT_REVIEW, INITIAL_REVIEW
from projects.vocab import ProjectState as S


def _roles(action: str) -> frozenset[Role]:
    return ACTIONS.roles_for("project", action)


def _start(kind: str, setting: str) -> DeadlineStep:
    return DeadlineStep(DeadlineEffect.START, kind, setting)


def _stop(kind: str) -> DeadlineStep:
    return DeadlineStep(DeadlineEffect.STOP, kind)


PROJECT = Workflow(
    name="project",
    subject_type="project",
    transitions=(
        Transition("apply", frozenset({S.PROPOSED, S.RETURNED}), S.INITIAL_REVIEW, _roles("apply"),
                   (_start(INITIAL_REVIEW, "project_initial_review_days"),)),
        # Incomplete materials: the unit has 5 working days to complete them (R25).
        Transition("find_incomplete", frozenset({S.PROPOSED, S.RETURNED}), S.INCOMPLETE,
                   _roles("apply"), (_start(COMPLETION, "project_completion_days"),)),
        Transition("request_completion", frozenset({S.INITIAL_REVIEW}), S.INCOMPLETE,
                   _roles("review"), (_stop(INITIAL_REVIEW),
                                      _start(COMPLETION, "project_completion_days"))),
        Transition("complete", frozenset({S.INCOMPLETE}), S.INITIAL_REVIEW, _roles("apply"),
                   (_stop(COMPLETION), _start(INITIAL_REVIEW, "project_initial_review_days"))),
        Transition("return", frozenset({S.INCOMPLETE}), S.RETURNED, _roles("apply"),
                   (_stop(COMPLETION),)),
        Transition("refer_to_experts", frozenset({S.INITIAL_REVIEW}), S.EXPERT_REVIEW,
                   _roles("review"), (_stop(INITIAL_REVIEW),
                                      _start(EXPERT_REVIEW, "project_expert_review_days"))),
        Transition("approve", frozenset({S.INITIAL_REVIEW}), S.APPROVED, _roles("review"),
                   (_stop(INITIAL_REVIEW),)),
        Transition("approve_after_experts", frozenset({S.EXPERT_REVIEW}), S.APPROVED,
                   _roles("review"), (_stop(EXPERT_REVIEW),)),
        Transition("reject", frozenset({S.INITIAL_REVIEW}), S.REJECTED, _roles("review"),
                   (_stop(INITIAL_REVIEW),)),
        Transition("reject_after_experts", frozenset({S.EXPERT_REVIEW}), S.REJECTED,
                   _roles("review"), (_stop(EXPERT_REVIEW),)),
        Transition("accept_initially", frozenset({S.APPROVED}), S.INITIALLY_ACCEPTED,
                   _roles("accept")),
        Transition("accept_finally", frozenset({S.INITIALLY_ACCEPTED}), S.ACCEPTED,
                   _roles("accept")),
        Transition("self_accept", frozenset({S.APPROVED}), S.ACCEPTED, _roles("self_accept")),
        Transition("mark_not_acceptable", frozenset({S.APPROVED, S.INITIALLY_ACCEPTED}),
                   S.NOT_ACCEPTABLE, _roles("review")),
    ),
)  # fmt: skip
