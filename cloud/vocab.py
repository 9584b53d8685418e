"""The words of the government cloud."""

from enum import StrEnum


class ApplicationState(StrEnum):
    SUBMITTED = "submitted"  # awaiting acceptance (R30)
    REFUSED = "refused"  # the unit corrects and resubmits
    ACCEPTED = "accepted"  # awaiting the approval opinion
    APPROVED = "approved"  # awaiting the work order to the provider
    ORDERED = "ordered"  # the provider opens the resources
    TRIAL = "trial"  # deployed and tested by the unit (R31)
    TEST_FILED = "test_filed"  # the test report awaits the bureau's review
    RECTIFYING = "rectifying"  # the test failed: rectify and refile
    PRODUCTION = "production"
    EXITING = "exiting"  # termination approved: the provider reclaims and wipes (R32)
    EXITED = "exited"


class ResourceKind(StrEnum):
    """What a line of an application asks for, in a provider's catalog unit."""

    VCPU = "vcpu"
    MEMORY_GB = "memory_gb"
    STORAGE_GB = "storage_gb"
    BANDWIDTH_MBPS = "bandwidth_mbps"
    OTHER = "other"


class ApprovalDocument(StrEnum):
    """R29: what a new project attaches, by its investment; an existing system, its migration plan."""

    IMPLEMENTATION_PLAN = "implementation_plan"  # under 10 M yuan
    FEASIBILITY_STUDY = "feasibility_study"  # 10-50 M
    PRELIMINARY_DESIGN = "preliminary_design"  # above 50 M
    MIGRATION_PLAN = "migration_plan"  # an existing system moving to the cloud


class WorkOrderKind(StrEnum):
    OPEN = "open"  # open an approved application's resources (R30)
    CHANGE = "change"  # carry out an approved change (R32)
    RECLAIM = "reclaim"  # reclaim the resources and wipe the data on exit (R32)


class ChangeKind(StrEnum):
    CHANGE = "change"
    EXIT = "exit"


class ChangeState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    DONE = "done"


class WorkOrderState(StrEnum):
    ISSUED = "issued"
    DONE = "done"


class Satisfaction(StrEnum):
    """R33: how a unit rates a provider after a work order."""

    DISSATISFIED = "dissatisfied"  # 不满意
    FAIRLY_SATISFIED = "fairly_satisfied"  # 基本满意
    SATISFIED = "satisfied"  # 满意
    VERY_SATISFIED = "very_satisfied"  # 非常满意
