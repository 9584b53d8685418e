"""The decision point remembers its decisions (policies.decision_memo): a remembered decision must
never outlive the grant it rested on, nor hide a grant that starts later, nor survive a change of
the policy."""

from datetime import UTC, datetime, timedelta

from policies.decision_memo import DecisionMemo, Steady, steady_span
from policies.pdp import DataAccessPolicy, Decision, GrantFacts, ResourceFacts

ITEMS = ("uscc", "name", "legal_rep", "capital")
RESOURCE = ResourceFacts(
    resource_id=1,
    code="101/000001",
    provider_department_id=1,
    published=True,
    items=ITEMS,
    unconditional=frozenset({"uscc", "name"}),
)
JANUARY = datetime(2027, 1, 1, tzinfo=UTC)


def grant(
    grant_id: int, items: set[str], valid_from: datetime, valid_to: datetime | None
) -> GrantFacts:
    return GrantFacts(
        grant_id=grant_id,
        department_id=2,
        resource_code=RESOURCE.code,
        items=frozenset(items),
        mode="api_query",
        row_filter=None,
        valid_from=valid_from,
        valid_to=valid_to,
        basis="approval",
    )


def policy(*grants: GrantFacts) -> DataAccessPolicy:
    pdp = DataAccessPolicy()
    pdp.replace_all([RESOURCE], grants)
    return pdp


def ask(
    pdp: DataAccessPolicy, at: datetime, items: tuple[str, ...] = ("uscc", "legal_rep")
) -> Decision:
    return pdp.decide(department_id=2, code=RESOURCE.code, mode="api_query", at=at, items=items)


def test_r14_a_remembered_allow_ends_the_moment_its_grant_ends() -> None:
    ends = JANUARY + timedelta(days=30)
    pdp = policy(grant(7, {"legal_rep"}, JANUARY, ends))
    assert ask(pdp, ends - timedelta(days=1)).grant_id == 7
    assert ask(pdp, ends - timedelta(seconds=1)).allowed  # remembered, still in force
    after = ask(pdp, ends)
    assert not after.allowed
    assert after.denied_items == ("legal_rep",)


def test_r14_a_remembered_denial_ends_the_moment_a_grant_starts() -> None:
    starts = JANUARY + timedelta(days=10)
    pdp = policy(grant(7, {"legal_rep"}, starts, None))
    assert not ask(pdp, JANUARY).allowed
    assert not ask(pdp, starts - timedelta(microseconds=1)).allowed
    assert ask(pdp, starts).grant_id == 7


def test_r14_a_grant_starting_later_on_the_same_lines_is_not_hidden() -> None:
    june = JANUARY + timedelta(days=150)
    pdp = policy(
        grant(7, {"legal_rep"}, JANUARY, None), grant(8, {"legal_rep", "capital"}, june, None)
    )
    wanted = ("legal_rep", "capital")
    assert not ask(pdp, JANUARY + timedelta(days=60), wanted).allowed
    assert ask(pdp, june + timedelta(days=1), wanted).grant_id == 8
    assert not ask(pdp, JANUARY + timedelta(days=61), wanted).allowed  # and back again


def test_r14_a_revoked_grant_is_not_remembered() -> None:
    pdp = policy(grant(7, {"legal_rep"}, JANUARY, None))
    assert ask(pdp, JANUARY).allowed
    pdp.replace_all([RESOURCE], [])
    assert not ask(pdp, JANUARY).allowed


def test_r13_a_resource_published_after_a_denial_is_readable() -> None:
    pdp = policy()
    pdp.replace_all([], [])
    assert ask(pdp, JANUARY, ("uscc",)).basis == "denied"
    pdp.replace_all([RESOURCE], [])
    assert ask(pdp, JANUARY, ("uscc",)).basis == "unconditional"


def test_r14_the_same_question_is_answered_from_memory() -> None:
    pdp = policy(grant(7, {"legal_rep"}, JANUARY, None))
    first = ask(pdp, JANUARY)
    assert ask(pdp, JANUARY + timedelta(days=400)) is first
    # Asked in another order, it is the same question.
    assert ask(pdp, JANUARY, ("legal_rep", "uscc")) is first


def test_r14_the_span_runs_between_the_nearest_starts_and_ends() -> None:
    at = JANUARY + timedelta(days=5)
    moments = [JANUARY, JANUARY + timedelta(days=3), None, JANUARY + timedelta(days=9), at]
    assert steady_span(moments, at) == (at, JANUARY + timedelta(days=9))
    assert steady_span([None], at) == (None, None)


def test_r14_a_full_memo_starts_over() -> None:
    memo: DecisionMemo[str] = DecisionMemo(capacity=2)
    memo.keep("a", Steady("yes", None, None))
    memo.keep("b", Steady("no", None, None))
    memo.keep("c", Steady("yes", None, None))
    assert len(memo) == 1
    assert memo.get("a", JANUARY) is None
    assert memo.get("c", JANUARY) == "yes"
