"""The state-machine helper: legal transitions, roles, and clear errors for everything else."""

import pytest

from exchange.errors import IllegalTransition
from exchange.identity.roles import Role
from exchange.workflow import DeadlineEffect, DeadlineStep, Transition, Workflow

REVIEW = Workflow(
    name="sample",
    subject_type="sample_request",
    transitions=(
        Transition(
            "submit",
            frozenset({"draft"}),
            "submitted",
            frozenset({Role.CONSUMER}),
            (DeadlineStep(DeadlineEffect.START, "review", "access_review_days"),),
        ),
        Transition(
            "approve",
            frozenset({"submitted"}),
            "approved",
            frozenset({Role.DATA_REVIEWER}),
            (DeadlineStep(DeadlineEffect.STOP, "review"),),
        ),
        Transition(
            "withdraw", frozenset({"draft", "submitted"}), "withdrawn", frozenset({Role.CONSUMER})
        ),
    ),
)


def test_states_are_derived_from_transitions() -> None:
    assert REVIEW.states == {"draft", "submitted", "approved", "withdrawn"}


def test_legal_transition_is_found() -> None:
    assert REVIEW.transition_for("approve", "submitted").target == "approved"


def test_illegal_transition_names_the_state_and_the_allowed_actions() -> None:
    with pytest.raises(IllegalTransition) as raised:
        REVIEW.transition_for("approve", "draft")
    assert raised.value.message == "cannot approve: the sample request is draft"
    assert raised.value.detail["allowed_actions"] == ["submit", "withdraw"]


def test_unknown_action_is_illegal() -> None:
    with pytest.raises(IllegalTransition, match="no action 'publish'"):
        REVIEW.transition_for("publish", "draft")


def test_actions_offered_depend_on_roles() -> None:
    assert REVIEW.actions_from("submitted", [Role.DATA_REVIEWER]) == ["approve"]
    assert REVIEW.actions_from("submitted", [Role.CONSUMER]) == ["withdraw"]
    assert REVIEW.actions_from("approved") == []


def test_a_transition_defined_twice_is_rejected() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        Workflow(
            "broken",
            "thing",
            (
                Transition("go", frozenset({"a"}), "b", frozenset({Role.CONSUMER})),
                Transition("go", frozenset({"a"}), "c", frozenset({Role.CONSUMER})),
            ),
        )


def test_start_step_needs_its_length_setting() -> None:
    with pytest.raises(ValueError, match="length setting"):
        DeadlineStep(DeadlineEffect.START, "review")
    with pytest.raises(ValueError, match="length setting"):
        DeadlineStep(DeadlineEffect.STOP, "review", "access_review_days")
