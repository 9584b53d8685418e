"""What each recorded action is called where people read the log: ``access_request.approve`` is
shown as its object and its step (共享申请 · 批准), each an English message id translated by the
catalogs. Codes stay as they are in the records, for programs."""

from exchange.i18n import Message

OBJECTS = {
    "access_dispute": "Dispute", "access_request": "Access request", "audit": "Audit log",
    "calendar": "Working-day calendar", "catalog": "Catalog", "catalog_update": "Catalog update",
    "cloud": "Government cloud", "cloud_application": "Cloud application",
    "cloud_change": "Cloud change", "cloud_work_order": "Work order",
    "collection": "Data collection", "data": "Data", "deadline": "Deadline",
    "department": "Department", "grant": "Grant", "identity": "Account", "platform": "Platform",
    "project": "Information-system project", "quality": "Data quality",
    "quality_issue": "Quality issue", "refusals": "Refusals", "store": "Unified store",
    "supervision": "Supervision", "token": "API token", "usage": "Use of shared data",
    "user": "User", "work": "Background work",
}  # fmt: skip

STEPS = {
    # Workflow steps, shared by the workflows that have them.
    "accept": "accept", "accept_finally": "accept finally", "accept_initially": "accept initially",
    "acknowledge": "acknowledge", "answer": "answer", "apply": "apply", "approve": "approve",
    "approve_after_experts": "approve after the experts",
    "approve_change": "approve the change", "approve_exit": "approve the exit",
    "approve_pending_review": "approve pending confidentiality review", "ask_info": "ask for information",
    "clear": "clear in confidentiality review", "close": "close", "complete": "complete",
    "exit": "exit", "fail_test": "fail the test", "file_test": "file the test report",
    "find_incomplete": "find incomplete", "grant": "grant", "mark_not_acceptable": "mark not acceptable",
    "open": "opened", "order": "send a work order", "pass_test": "pass the test",
    "refer_to_experts": "refer to experts", "refile_test": "refile the test report",
    "refuse": "refuse", "refuse_change": "refuse the change", "refuse_exit": "refuse the exit",
    "reject": "reject", "reject_after_experts": "reject after the experts",
    "request_change": "request a change", "request_completion": "ask for completion",
    "request_exit": "request exit", "resubmit": "resubmit", "retest": "retest",
    "return": "return", "self_accept": "accept itself", "submit": "submit", "uphold": "uphold",
    "verify": "verify", "withdraw": "withdraw",
    # Other recorded actions.
    "abandoned": "abandoned", "administrator": "register an administrator",
    "authoritative_source": "name an authoritative source", "change.decide": "decide a change",
    "change.request": "request a change", "classification": "change the classification",
    "commitment": "commit to sharing", "comparison.create": "define a comparison",
    "comparison.run": "run a comparison", "create": "create", "document": "file a document",
    "edit": "edit", "evaluation": "evaluate", "expectation.add": "add a check",
    "expectation.blocking": "make a check blocking", "expectation.remove": "remove a check",
    "expert": "assign an expert", "form": "file the form", "funding.decide": "decide funding",
    "funding.flag": "flag funding", "funding.lift": "lift a funding flag", "import": "import",
    "incident.record": "record an incident", "ingest": "load", "ingest_abandoned": "load abandoned",
    "issue.answer_findings": "answer findings", "mlps.file": "file the MLPS record",
    "new_version": "start a new version", "opinion": "give an opinion", "overdue": "overdue",
    "password_change": "change the password", "password_reset": "reset a password",
    "plan": "compile the plan", "plan.approve": "approve the plan", "plan.endorse": "endorse the plan",
    "propose": "propose", "provider.leaving": "provider leaving", "provider.register": "register a provider",
    "purge": "purge", "read": "read", "rectified": "rectified", "repeated": "repeated",
    "report": "report", "restore": "restore", "retire": "retire", "revoke": "revoke",
    "roles": "change roles", "second_factor": "second-factor check",
    "second_factor_enrol": "enrol a second factor", "second_factor_reset": "reset a second factor",
    "service.file": "file a service", "sharing_check": "check sharing",
    "sharing_list": "file the sharing list", "sign_in": "sign in", "source.activate": "activate a source",
    "source.register": "register a source", "source.update": "change a source",
    "statutory_sharing": "record statutory sharing", "suspend": "suspend",
    "synonyms_changed": "change the search synonyms", "tender": "file the tender",
    "trial.extend": "extend the trial", "upkeep": "upkeep", "usage_statement.confirm": "confirm a usage statement",
    "validate": "validate", "violation.correct": "correct a violation", "violations": "detect violations",
    "warn": "warn", "work_order.rate": "rate a work order", "issue": "issue a token",
}  # fmt: skip

# A portal sign-in records the password check, the second factor and the session's token:
# the log can be read without them.
SIGN_IN_ACTIONS = ("identity.sign_in", "identity.second_factor", "token.issue")


def action_label(action: str) -> Message | None:
    """The action as people read it, or None for a code no label names (shown as it is)."""
    obj, _, step = action.partition(".")
    if obj not in OBJECTS or step not in STEPS:
        return None
    return Message("{object} · {step}", object=Message(OBJECTS[obj]), step=Message(STEPS[step]))
