"""The words of the project register."""

from enum import StrEnum


class ProjectState(StrEnum):
    PROPOSED = "proposed"  # put forward for next year's plan (R24)
    INCOMPLETE = "incomplete"  # the materials are to be completed (R25)
    INITIAL_REVIEW = "initial_review"  # the bureau's review (R26)
    EXPERT_REVIEW = "expert_review"
    APPROVED = "approved"  # the approval notice is issued
    REJECTED = "rejected"
    RETURNED = "returned"  # not completed in time: no resubmission for 3 months (R25)
    INITIALLY_ACCEPTED = "initially_accepted"  # R27
    ACCEPTED = "accepted"  # final acceptance, or self-acceptance of a small project
    NOT_ACCEPTABLE = "not_acceptable"  # changed its plan or investment without approval (R26)


class PlanState(StrEnum):
    COMPILING = "compiling"
    APPROVED = "approved"


class Direction(StrEnum):
    """A line of the resource-sharing list: data the project produces and shares, or needs."""

    PRODUCE = "produce"
    NEED = "need"


class DocumentKind(StrEnum):
    LETTER = "letter"  # application letter
    PLAN = "plan"  # construction plan
    LEGAL_BASIS = "legal_basis"  # written basis of a resource that cannot be shared
    TENDER = "tender"
    CONTRACT = "contract"
    ACCEPTANCE_REPORT = "acceptance_report"
    EVALUATION = "evaluation"
    OTHER = "other"


class Veto(StrEnum):
    """Why the sharing check fails a project (R27, one-vote veto)."""

    NOT_REGISTERED = "not_registered"  # a promised resource has no catalog entry
    NOT_PUBLISHED = "not_published"
    ITEM_MISSING = "item_missing"  # a promised data item is not in the published entry
    STRICTER = "stricter"  # shared more narrowly than promised, without a legal basis
    NOT_PROVIDED = "not_provided"  # never collected
    STALE = "stale"  # late for its update cycle
    QUARANTINED = "quarantined"  # its newest data failed validation
    NOT_OBTAINED = "not_obtained"  # a needed resource neither open nor granted
    COLLECTED_AGAIN = "collected_again"  # R8
