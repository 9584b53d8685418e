"""Explicit, deadline-tracked state machines shared by every workflow of the platform."""

from exchange.workflow.engine import (
    DeadlineEffect,
    DeadlineStep,
    DeadlineSubject,
    Transition,
    Workflow,
    WorkflowEnvironment,
    WorkflowSubject,
    take_action,
)

__all__ = [
    "DeadlineEffect",
    "DeadlineStep",
    "DeadlineSubject",
    "Transition",
    "Workflow",
    "WorkflowEnvironment",
    "WorkflowSubject",
    "take_action",
]
