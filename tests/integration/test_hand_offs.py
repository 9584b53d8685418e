"""Every hand-off of a request, a catalog entry and a quality issue puts a task in the next
person's work list and a message in their message centre, naming the resource and the department;
the next step ends the task and it shows in the 已办 list of whoever took it."""

from sqlalchemy import select

from catalog import lifecycle
from catalog.entries import get_resource
from exchange.notifications.models import Notification
from exchange.principal import Principal
from exchange.worklist.models import Task
from exchange.worklist.service import acknowledge, done_tasks, open_tasks
from policies import requests
from quality import issues
from quality.models import QualityIssue
from quality.vocab import AnswerKind, IssueOrigin
from tests.catalog_fixtures import CatalogWorld, enterprise_register, submitted_entry
from tests.scenarios.requests import act, file, publish


def _work(world: CatalogWorld, who: str) -> list[str]:
    """The titles in ``who``'s 待办 list, as they read them in Chinese."""
    with world.platform.database.transaction() as session:
        return [t.title_message.in_language("zh") for t in open_tasks(session, world.actor(who))]


def _messages(world: CatalogWorld, who: str) -> list[tuple[str, str | None]]:
    with world.platform.database.transaction() as session:
        notes = session.scalars(
            select(Notification)
            .where(Notification.user_id == world.users[who])
            .order_by(Notification.id)
        )
        return [(n.title_message.in_language("zh"), n.link) for n in notes if n.title_message]


def _done(world: CatalogWorld, who: str) -> list[str]:
    with world.platform.database.transaction() as session:
        return [t.title_message.in_language("zh") for t in done_tasks(session, world.users[who])]


def test_r1_a_submitted_entry_is_the_catalog_reviewers_task_and_comes_back_to_its_registrar(
    world: CatalogWorld,
) -> None:
    code = submitted_entry(world, enterprise_register(), "registrar")
    review = f"审核目录企业登记信息（{code}）"
    assert _work(world, "reviewer") == [review]
    assert (review, f"/catalog/{code}") in _messages(world, "reviewer")
    # Another department's reviewer gets neither task nor message.
    assert _work(world, "other_reviewer") == []
    assert _messages(world, "other_reviewer") == []

    act(world, "reviewer", lifecycle.return_for_changes, code=code, comment="补充数据摘要")
    assert _work(world, "reviewer") == []
    assert _done(world, "reviewer") == [review]
    assert _work(world, "registrar") == [f"修改被退回的目录企业登记信息（{code}）"]

    act(world, "registrar", lifecycle.submit, code=code)
    assert _done(world, "registrar") == [f"修改被退回的目录企业登记信息（{code}）"]
    act(world, "reviewer", lifecycle.approve, code=code)
    published = f"目录企业登记信息（{code}）已发布"
    assert _work(world, "registrar") == [published]
    # Taking note of a publication is opening the entry; it is then done.
    with world.platform.database.transaction() as session:
        acknowledge(
            session, link=f"/catalog/{code}", user_id=world.users["reviewer"],
            now=world.platform.clock.now(),
        )  # fmt: skip
    assert _work(world, "registrar") == [published]  # somebody else's opening is not theirs
    with world.platform.database.transaction() as session:
        acknowledge(
            session, link=f"/catalog/{code}", user_id=world.users["registrar"],
            now=world.platform.clock.now(),
        )  # fmt: skip
    assert _work(world, "registrar") == []


def test_r14_a_filed_request_is_the_providers_reviewers_task_and_the_decision_the_consumers(
    world: CatalogWorld,
) -> None:
    code = publish(world)
    request_id = file(world, code)
    consumer_department = world.consumer_department.name
    provider = world.provider.name
    decide = f"审核{consumer_department}对企业登记信息（{code}）的共享申请"
    for reviewer in ("data_reviewer", "second_data_reviewer"):
        assert _work(world, reviewer) == [decide]
        assert _messages(world, reviewer) == [(decide, f"/access/requests/{request_id}")]
    # Nobody else hears of it: not the consumer, not another role of the provider.
    assert _work(world, "consumer") == []
    assert _work(world, "resource_admin") == []

    act(world, "data_reviewer", requests.approve, request_id=request_id)
    assert _work(world, "second_data_reviewer") == []
    assert _done(world, "data_reviewer") == [decide]
    assert _done(world, "second_data_reviewer") == []  # only who took the step finished it
    approved = f"{provider}已同意您对企业登记信息（{code}）的申请"
    assert _work(world, "consumer") == [approved]
    assert _messages(world, "consumer") == [(approved, f"/access/requests/{request_id}")]


def test_r19_an_answered_issue_goes_to_the_stewards_and_a_returned_one_back_to_the_department(
    world: CatalogWorld,
) -> None:
    code = publish(world)
    system = Principal.system("test")
    with world.platform.database.transaction() as session:
        issue = issues.open_issue(
            session, actor=system, env=world.platform.workflow_environment(session), code=code,
            issue=QualityIssue(
                origin=IssueOrigin.VALIDATION, resource_id=get_resource(session, code).id,
                department_id=world.provider.id, snapshot_id=1, title="企业名称为空", row_count=2,
                rows=[{"check": "not_null(enterprise_name)", "value": None}],
            ),
        )  # fmt: skip
        issue_id = issue.id
    answer_it = f"质量问题反馈 {issue_id}：企业名称为空"
    assert _work(world, "resource_admin") == [answer_it]
    assert _messages(world, "resource_admin")[0][1] == f"/quality/issues/{issue_id}"

    act(world, "resource_admin", issues.answer, issue_id=issue_id,
        kind=AnswerKind.DISPUTED, text="核对无误")  # fmt: skip
    judge = f"审核质量问题{issue_id}的答复：企业名称为空"
    assert _work(world, "resource_admin") == []
    assert _work(world, "steward") == [judge]
    assert (judge, f"/quality/issues/{issue_id}") in _messages(world, "steward")

    act(world, "steward", issues.return_answer, issue_id=issue_id, reason="请附证明材料")
    assert _work(world, "steward") == []
    assert _work(world, "resource_admin") == [answer_it]
    with world.platform.database.transaction() as session:
        ends = session.scalars(
            select(Task.done_by_user_id).where(
                Task.subject_type == "quality_issue", Task.done_at.is_not(None)
            )
        )
        assert set(ends) == {world.users["resource_admin"], world.users["steward"]}
