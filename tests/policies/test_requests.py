"""R3, R4, R14: requests for conditional data, the 3-working-day review, disputes and grants."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.sweep import sweep
from exchange.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.identity.roles import Role
from exchange.notifications.models import Notification
from policies import disputes, grants, requests
from policies.models import Grant
from policies.vocab import RejectReason
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.factories import make_department, make_user
from tests.scenarios.requests import LAW, act, file, publish


def review_deadline(world: CatalogWorld, request_id: int) -> Deadline:
    with world.platform.database.transaction() as session:
        return session.scalars(select(Deadline).where(Deadline.subject_id == str(request_id))).one()


def test_r14_the_reviewers_task_names_the_requesting_department_and_the_resource(
    world: CatalogWorld,
) -> None:
    code = publish(world)
    request_id = file(world, code)
    deadline = review_deadline(world, request_id)
    assert deadline.title_message is not None
    consumer = world.consumer_department.name
    chinese = deadline.title_message.in_language("zh")
    assert chinese == f"审核{consumer}对企业登记信息（{code}）的共享申请"
    assert str(request_id) not in chinese.replace(code, "")  # no bare request number
    assert deadline.title == f"Decide the request of {consumer} for 企业登记信息 ({code})"


def test_r14_request_before_national_day_is_due_and_escalated_exactly_once(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    code = publish(world)
    clock.set(local(2026, 9, 30, 16, 0))
    request_id = file(world, code)
    assert review_deadline(world, request_id).due_date == date(2026, 10, 10)
    platform = world.platform
    for moment, expected in (
        (local(2026, 10, 10, 8, 0), (1, 0)),
        (local(2026, 10, 11, 0, 1), (0, 1)),
        (local(2026, 10, 12, 9, 0), (0, 0)),
    ):
        clock.set(moment)
        with platform.database.transaction() as session:
            result = sweep(session, now=clock.now())
        assert (result.reminded, result.escalated) == expected
    with platform.database.transaction() as session:
        kinds = dict(
            session.execute(
                select(Notification.user_id, Notification.kind).where(
                    Notification.kind == "deadline.overdue"
                )
            ).all()
        )
    assert (
        kinds[world.users["coordinator"]] == "deadline.overdue"
    )  # escalated to the coordinating office
    breach = review_deadline(world, request_id)
    assert breach.overdue_at is not None  # the provider's record shows the breach


def test_r3_not_shared_items_are_refused_at_once_quoting_the_law(world: CatalogWorld) -> None:
    code = publish(world)
    with pytest.raises(InvalidInput, match="not shared by law") as raised:
        file(world, code, ["legal_representative", "id_number"])
    assert raised.value.detail["not_shared"] == {"id_number": LAW}
    with pytest.raises(InvalidInput, match="need no request: enterprise_name, uscc"):
        file(world, code, ["uscc", "enterprise_name"])
    with pytest.raises(InvalidInput, match="not data items"):
        file(world, code, ["salary"])
    with pytest.raises(PermissionDenied):
        file(world, code, who="other_registrar")  # not a consumer
    with world.platform.database.transaction() as session:
        world.users["provider_consumer"] = make_user(
            session, world.platform, world.provider, Role.CONSUMER
        ).id
    with pytest.raises(InvalidInput, match="its own data"):
        file(world, code, who="provider_consumer")


def test_r14_narrowed_approval_becomes_a_grant_and_can_be_disputed(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    code = publish(world)
    request_id = file(world, code)
    act(
        world,
        "data_reviewer",
        requests.approve,
        request_id=request_id,
        items=["legal_representative"],
        row_filter={"uscc": ["91440300MA5D0001X1"]},
    )
    with world.platform.database.transaction() as session:
        [grant] = session.scalars(select(Grant)).all()
        assert grant.items == ["legal_representative"]
        assert grant.row_filter == {"uscc": ["91440300MA5D0001X1"]}
        assert grant.basis == "approval"
        assert grant.valid_to == local(2027, 10, 1, 0, 0)  # the end of the period asked for
    assert review_deadline(world, request_id).met_in_time is True
    dispute = act(
        world,
        "consumer",
        disputes.open_dispute,
        request_id=request_id,
        ground="联系电话为审批所必需",
    )
    with world.platform.database.transaction() as session:
        ruling_due = (
            session.scalars(select(Deadline).where(Deadline.kind == "dispute_ruling"))
            .one()
            .due_date
        )
    assert ruling_due == date(2026, 12, 1)  # 5 working days after Tue 24 Nov
    with pytest.raises(PermissionDenied):
        act(
            world,
            "data_reviewer",
            disputes.rule,
            dispute_id=dispute.id,
            grant_items=["phone"],
            note="x",
        )
    act(
        world,
        "coordinator",
        disputes.rule,
        dispute_id=dispute.id,
        grant_items=["phone"],
        note="审批确需联系电话",
    )
    with world.platform.database.transaction() as session:
        assert sorted(g.basis for g in session.scalars(select(Grant))) == ["approval", "ruling"]
    with pytest.raises(IllegalTransition):
        act(
            world,
            "coordinator",
            disputes.rule,
            dispute_id=dispute.id,
            grant_items=None,
            note="改判",
        )  # final


def test_r14_rejection_needs_a_reason_and_a_dispute_is_ruled_once(world: CatalogWorld) -> None:
    code = publish(world)
    request_id = file(world, code)
    with pytest.raises(InvalidInput, match="gives its reason"):
        act(
            world,
            "data_reviewer",
            requests.reject,
            request_id=request_id,
            code=RejectReason.OTHER,
            reason=" ",
        )
    act(
        world,
        "data_reviewer",
        requests.reject,
        request_id=request_id,
        code=RejectReason.PURPOSE_MISMATCH,
        reason="用途与申请部门职责不符",
    )
    dispute = act(
        world, "consumer", disputes.open_dispute, request_id=request_id, ground="属于法定职责"
    )
    with pytest.raises(Conflict, match="disputed already"):
        act(world, "consumer", disputes.open_dispute, request_id=request_id, ground="再次申诉")
    act(
        world,
        "coordinator",
        disputes.rule,
        dispute_id=dispute.id,
        grant_items=None,
        note="维持原决定",
    )
    with world.platform.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Grant)) == 0


def test_r14_asking_for_information_pauses_the_clock(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    code = publish(world)
    clock.set(local(2026, 9, 24, 10, 0))  # Thursday before Mid-Autumn: due Wed 30 Sep
    request_id = file(world, code)
    clock.set(local(2026, 9, 28, 10, 0))  # Monday, day 1 spent
    act(
        world,
        "data_reviewer",
        requests.ask_info,
        request_id=request_id,
        question="请说明具体审批事项",
    )
    clock.set(local(2026, 10, 8, 10, 0))
    act(world, "consumer", requests.answer, request_id=request_id, text="企业设立登记审批")
    assert review_deadline(world, request_id).due_date == date(
        2026, 10, 10
    )  # 2 days left: Fri 9, Sat 10


def test_r14_sensitive_resources_open_only_after_the_confidentiality_review(
    world: CatalogWorld,
) -> None:
    code = publish(world, sensitive=True)
    request_id = file(world, code)
    request = act(world, "data_reviewer", requests.approve, request_id=request_id)
    assert request.state == "confidentiality_review"
    with world.platform.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Grant)) == 0
    with pytest.raises(PermissionDenied, match="data_resource_admin"):
        act(
            world,
            "data_reviewer",
            requests.confidentiality_review,
            request_id=request_id,
            cleared=True,
            note="通过",
        )
    act(
        world,
        "resource_admin",
        requests.confidentiality_review,
        request_id=request_id,
        cleared=True,
        note="保密审查通过",
    )
    with world.platform.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Grant)) == 1


def test_other_departments_cannot_decide_or_see_a_request(world: CatalogWorld) -> None:
    code = publish(world)
    request_id = file(world, code)
    with pytest.raises(PermissionDenied, match="providing department"):
        act(
            world, "other_reviewer", requests.approve, request_id=request_id
        )  # the consumer's own reviewer
    with world.platform.database.transaction() as session:
        third = make_department(session, world.platform, name="市公安局")
        world.users["outsider"] = make_user(
            session, world.platform, third, Role.DATA_REVIEWER, Role.CONSUMER
        ).id
    with pytest.raises(NotFound):
        act(world, "outsider", requests.approve, request_id=request_id)
    with world.platform.database.transaction() as session, pytest.raises(NotFound):
        requests.get_request(session, request_id, world.actor("outsider"))


def test_r4_statutory_grant_covers_even_not_shared_items(world: CatalogWorld) -> None:
    code = publish(world)
    platform = world.platform
    with platform.database.transaction() as session, pytest.raises(PermissionDenied):
        grants.statutory_grant(
            session,
            actor=world.actor("data_reviewer"),
            now=platform.clock.now(),
            code=code,
            consumer_code=world.consumer_department.code,
            items=["id_number"],
            citation=LAW,
            purpose="法定共享",
        )
    with platform.database.transaction() as session:
        grant = grants.statutory_grant(
            session,
            actor=world.actor("admin"),
            now=platform.clock.now(),
            code=code,
            consumer_code=world.consumer_department.code,
            items=["id_number"],
            citation="《社会保险法》第五十七条",
            purpose="参保登记核验",
        )
        assert (grant.basis, grant.items, grant.citation) == (
            "statutory",
            ["id_number"],
            "《社会保险法》第五十七条",
        )


def test_grants_expire_and_are_revoked_with_a_reason(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    code = publish(world)
    request_id = file(world, code)
    act(
        world,
        "data_reviewer",
        requests.approve,
        request_id=request_id,
        expires_at=clock.now() + timedelta(days=10),
    )
    platform = world.platform
    with platform.database.transaction() as session:
        [grant] = session.scalars(select(Grant)).all()
        resource_id = grant.resource_id
        consumer = world.consumer_department.id
        assert grants.active_grants(
            session, consumer_department_id=consumer, resource_id=resource_id, at=clock.now()
        )
        later = clock.now() + timedelta(days=11)
        assert (
            grants.active_grants(
                session, consumer_department_id=consumer, resource_id=resource_id, at=later
            )
            == []
        )
        with pytest.raises(PermissionDenied):
            grants.revoke_grant(
                session,
                actor=world.actor("consumer"),
                now=clock.now(),
                grant_id=grant.id,
                reason="x",
            )
        grants.revoke_grant(
            session,
            actor=world.actor("data_reviewer"),
            now=clock.now(),
            grant_id=grant.id,
            reason="申请部门超范围使用",
        )
        assert (
            grants.active_grants(
                session, consumer_department_id=consumer, resource_id=resource_id, at=clock.now()
            )
            == []
        )


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_r14_two_reviewers_deciding_at_once_make_exactly_one_decision(world: CatalogWorld) -> None:
    code = publish(world)
    request_id = file(world, code)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(who: str, approve: bool) -> None:
        try:
            with world.platform.database.transaction() as session:
                actor = world.actor(who)
                env = world.platform.workflow_environment(session)
                barrier.wait()
                if approve:
                    requests.approve(session, actor=actor, env=env, request_id=request_id)
                else:
                    requests.reject(
                        session,
                        actor=actor,
                        env=env,
                        request_id=request_id,
                        code=RejectReason.SECURITY,
                        reason="涉及敏感信息",
                    )
            outcomes.append("decided")
        except IllegalTransition as error:
            outcomes.append(error.message)

    threads = [
        threading.Thread(target=decide, args=("data_reviewer", True)),
        threading.Thread(target=decide, args=("second_data_reviewer", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("decided") == 1
    [refused] = [o for o in outcomes if o != "decided"]
    assert refused in (
        "cannot reject: the access request is approved",
        "cannot approve: the access request is rejected",
    )
    with world.platform.database.transaction() as session:
        state = requests.get_request(session, request_id, world.actor("admin")).state
        grant_count = session.scalar(select(func.count()).select_from(Grant))
    assert (state, grant_count) in (("approved", 1), ("rejected", 0))


def test_r16_every_grant_audit_record_carries_its_basis_and_citation(world: CatalogWorld) -> None:
    """The audit record alone shows why access opened: the law for a statutory grant, the duty
    the consumer invoked for an approved request."""
    import orjson

    from exchange.audit.models import AuditRecord

    code = publish(world)
    platform = world.platform
    with platform.database.transaction() as session:
        grants.statutory_grant(
            session, actor=world.actor("admin"), now=platform.clock.now(), code=code,
            consumer_code=world.consumer_department.code, items=["id_number"],
            citation="《社会保险法》第五十七条", purpose="参保登记核验",
        )  # fmt: skip
    act(world, "data_reviewer", requests.approve, request_id=file(world, code))
    with platform.database.transaction() as session:
        details = [
            orjson.loads(detail)
            for detail in session.scalars(
                select(AuditRecord.detail)
                .where(AuditRecord.action == "grant.create")
                .order_by(AuditRecord.seq)
            )
        ]
    assert [(d["basis"], d["citation"]) for d in details] == [
        ("statutory", "《社会保险法》第五十七条"),
        ("approval", "《社会保险法》第五十七条"),  # the request's duty basis
    ]
