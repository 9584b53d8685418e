"""Five journeys of people who are not programmers, in a real browser on the demo, at a laptop's
1366×768 and a phone's width: a consumer requests data and a provider's reviewer decides; a
registrar registers an entry and the catalog reviewer publishes it; a steward and a department
settle a quality issue; the bureau looks for an overview. Each hand-off shows as a task in the next
person's 待办 list and a message with the unread count; times read in Beijing time; the menu shows
each person what their roles can do. Screenshots go to test-artifacts/journeys/."""

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_portal import CHROMIUM, Visitor, chromium_for
from tests.servers import demo_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# What sticks out sideways on a narrow screen, named for the failure message.
WIDER_THAN_THE_SCREEN = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
BEIJING_TIME = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{2}):(\d{2})")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is missing")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("journeys"), "--rows", "40") as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_for(ARTIFACTS)


class Person(Visitor):
    def __init__(self, browser: Any, base: str, username: str) -> None:
        super().__init__(browser, base)
        self.username = username
        self.page.set_viewport_size(LAPTOP)
        self.sign_in(username)

    def menu(self) -> dict[str, list[str]]:
        """The side menu as the person reads it: each group's heading and its entries."""
        groups: dict[str, list[str]] = {}
        for section in self.page.locator("nav.side section").all():
            heading = section.locator("h2").inner_text()
            groups[heading] = [
                re.sub(r"\s*\d+$", "", a) for a in section.locator("a").all_inner_texts()
            ]
        return groups

    def work(self) -> list[str]:
        """The titles in the 待办 list."""
        self.page.goto(f"{self.base}/")
        return self.page.locator("table.worklist tr td:first-child").all_inner_texts()

    def unread(self) -> int:
        badge = self.page.locator("header .inbox .count")
        return int(badge.inner_text()) if badge.count() else 0

    def shots(self, name: str) -> None:
        """The page at a laptop's size, then at a phone's with the menu folded away and opened."""
        self.shot(f"{name}-laptop")
        self.page.set_viewport_size(PHONE)
        # Folded behind the Menu button as the screen narrows.
        self.page.wait_for_selector("nav.side", state="hidden", timeout=5000)
        assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            self.page.evaluate(WIDER_THAN_THE_SCREEN)
        )
        self.shot(f"{name}-phone")
        self.page.click("button.menu-toggle")
        self.page.wait_for_selector("nav.side", state="visible", timeout=5000)
        self.shot(f"{name}-phone-menu")
        self.page.set_viewport_size(LAPTOP)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _close_to_now(text: str) -> bool:
    """A time shown on a page is the city's, within a few minutes of now."""
    found = BEIJING_TIME.search(text)
    assert found, text
    shown = datetime(*map(int, found.groups()), tzinfo=ZoneInfo("Asia/Shanghai"))  # type: ignore[misc]
    return abs(datetime.now(ZoneInfo("Asia/Shanghai")) - shown) < timedelta(minutes=5)


def test_r14_a_consumer_requests_data_and_the_providers_reviewer_decides(
    server: str, browser: Any
) -> None:
    consumer = Person(browser, server, "scjg.consumer")
    menu = consumer.menu()
    assert list(menu) == ["工作台", "目录管理", "共享申请", "监督考核", "系统管理"]
    entries = [entry for group in menu.values() for entry in group]
    for bureau_only in ("监督", "部门考核", "违规登记", "待审申请", "审计日志"):
        assert bureau_only not in entries
    consumer.shots("01-consumer-home")
    consumer.page.click("nav.side >> text=资源目录")
    consumer.page.fill("#q", "社保")
    consumer.page.click("form[role=search] button")
    consumer.page.click("text=社会保险参保信息")
    code = re.search(r"/catalog/(\d+/\d+)", consumer.page.url).group(1)  # type: ignore[union-attr]
    consumer.page.click("text=申请有条件共享信息项")
    labels = consumer.page.locator("label:has(input[name=items])").all_inner_texts()
    assert any(label.strip().startswith("姓名 person_name") for label in labels), (
        labels
    )  # names, not identifiers
    consumer.page.check("input[name=items][value=person_name]")
    consumer.page.fill("#purpose", "核验企业参保人员身份")
    consumer.page.fill("#duty_basis", "《企业信息公示暂行条例》第十四条")
    consumer.shots("02-consumer-request-form")
    consumer.page.click("text=提交申请")
    consumer.page.wait_for_url(re.compile(r".*/access/requests/\d+.*"))
    request_path = consumer.page.url.split("?")[0].removeprefix(server)

    reviewer = Person(browser, server, "rs.data_reviewer")
    task = f"审核市市场监督管理局对社会保险参保信息（{code}）的共享申请"
    assert task in reviewer.work()
    assert reviewer.unread() >= 1
    row = reviewer.page.locator("table.worklist tr", has_text=task)
    assert _close_to_now(row.inner_text())  # received just now, in Beijing time
    assert "待审申请" in reviewer.menu()["共享申请"]
    reviewer.shots("03-reviewer-worklist")
    reviewer.page.click("header .inbox")
    reviewer.page.click(f"ul.messages a:has-text('{task}')")
    reviewer.page.wait_for_url(f"{server}{request_path}")
    assert "个工作日" in reviewer.page.inner_text("#review-due")  # the deadline, days left
    reviewer.shots("04-reviewer-request")
    with reviewer.page.expect_navigation():
        reviewer.page.check("#confirm-approve")
        reviewer.page.click("button:has-text('同意')")
    assert task not in reviewer.work()
    reviewer.page.click("text=已办")
    assert task in reviewer.page.inner_text("main")
    reviewer.shots("05-reviewer-done")

    decided = f"市人力资源和社会保障局已同意您对社会保险参保信息（{code}）的申请"
    assert decided in consumer.work()
    assert consumer.unread() >= 1
    consumer.shots("06-consumer-decision")
    consumer.page.goto(f"{server}/notifications")
    with consumer.page.expect_navigation():
        consumer.page.click(f"ul.messages a:has-text('{decided}')")
    assert consumer.page.url.split("?")[0] == f"{server}{request_path}"
    assert decided not in consumer.work()  # seen: done
    for person in (consumer, reviewer):
        person.close()


def test_r1_a_registrar_submits_an_entry_and_it_reaches_the_catalog_reviewer(
    server: str, browser: Any
) -> None:
    registrar = Person(browser, server, "mz.catalog_registrar")
    assert "登记资源" in registrar.menu()["目录管理"]
    assert "目录审核" not in registrar.menu()["目录管理"]
    registrar.page.click("nav.side >> text=登记资源")
    registrar.page.fill("#name", "养老机构备案信息")
    registrar.page.select_option("#classification_code", "202")
    registrar.page.fill("#abstract", "本市养老机构的备案信息，包括机构名称、床位数、备案日期等。")
    registrar.page.fill("input[name=item-0-name]", "uscc")
    registrar.page.fill("input[name=item-0-label]", "统一社会信用代码")
    registrar.page.fill("input[name=item-0-length]", "18")
    registrar.page.check("input[name=item-0-required]")
    registrar.page.check("input[name=item-0-is_key]")
    registrar.page.check("input[name=submit_now]")
    registrar.shots("07-registrar-form")
    registrar.page.click("button:has-text('保存')")
    registrar.page.wait_for_url(re.compile(r".*/catalog/202/\d+.*"))
    code = re.search(r"/catalog/(\d+/\d+)", registrar.page.url).group(1)  # type: ignore[union-attr]

    reviewer = Person(browser, server, "mz.catalog_reviewer")
    assert "目录审核" in reviewer.menu()["目录管理"]
    task = f"审核目录养老机构备案信息（{code}）"
    assert task in reviewer.work()
    assert reviewer.unread() >= 1
    reviewer.shots("08-catalog-reviewer-worklist")
    reviewer.page.click(f"table.worklist a:has-text('{task}')")
    with reviewer.page.expect_navigation():
        reviewer.page.click("button:has-text('审核通过并发布')")
    assert task not in reviewer.work()
    assert f"目录养老机构备案信息（{code}）已发布" in registrar.work()
    registrar.shots("09-registrar-published")
    for person in (registrar, reviewer):
        person.close()


def test_r19_a_department_answers_a_quality_issue_and_the_steward_judges_it(
    server: str, browser: Any
) -> None:
    department = Person(browser, server, "scjg.data_resource_admin")
    waiting = [title for title in department.work() if title.startswith("质量问题反馈")]
    assert waiting, department.work()
    department.shots("10-department-worklist")
    department.page.click(f"table.worklist a:has-text('{waiting[0]}')")
    issue_path = department.page.url.split("?")[0].removeprefix(server)
    issue_id = issue_path.rsplit("/", 1)[1]
    if department.page.locator("button:has-text('确认收到')").count():
        with department.page.expect_navigation():
            department.page.click("button:has-text('确认收到')")
    department.page.select_option("#kind", "disputed")
    department.page.fill("#text", "经核对，社保登记口径不同，以工商登记为准")
    with department.page.expect_navigation():
        department.page.click("button:has-text('提交反馈')")
    assert "已反馈" in department.page.inner_text("h1")
    assert waiting[0] not in department.work()

    steward = Person(browser, server, "dsj.data_steward")
    judge = [title for title in steward.work() if title.startswith(f"审核质量问题{issue_id}的答复")]
    assert judge, steward.work()
    steward.shots("11-steward-worklist")
    steward.page.click(f"table.worklist a:has-text('{judge[0]}')")
    with steward.page.expect_navigation():
        steward.page.click("button:has-text('核验通过')")
    assert judge[0] not in steward.work()
    for person in (department, steward):
        person.close()


def test_r20_the_bureau_finds_its_overview_and_supervision_in_one_group(
    server: str, browser: Any
) -> None:
    bureau = Person(browser, server, "dsj.bureau_admin")
    supervision = bureau.menu()["监督考核"]
    assert {"数据共享驾驶舱", "监督", "部门考核", "违规登记"} <= set(supervision), supervision
    assert "用户与角色" not in str(bureau.menu())  # accounts are the system administrator's
    bureau.page.click("nav.side >> text=数据共享驾驶舱")
    assert bureau.page.locator("nav.side a[aria-current=page]").inner_text() == "数据共享驾驶舱"
    bureau.shots("12-bureau-dashboard")
    bureau.close()


LEAKS = re.compile(r"\{'|\{\}|\[\]|\bNone\b|snapshot|Traceback")
# The audit log shows each record's details as recorded, snapshot numbers included: auditors
# trace a read to the exact data it returned (R16).
AUDIT_LEAKS = re.compile(r"\{'|\{\}|\bNone\b|Traceback")


def test_no_page_of_the_menu_shows_program_internals_to_anyone(server: str, browser: Any) -> None:
    """Every page of every person's menu reads as text for people: no Python dictionaries or
    lists, no None, no internal snapshot numbers."""
    found = []
    for username in ("scjg.consumer", "rs.data_reviewer", "mz.catalog_registrar",
                     "scjg.data_resource_admin", "dsj.data_steward", "dsj.bureau_admin",
                     "dsj.auditor"):  # fmt: skip
        person = Person(browser, server, username)
        links = person.page.locator("nav.side a").evaluate_all("els => els.map(e => e.pathname)")
        for path in links:
            person.page.goto(f"{server}{path}")
            text = person.page.inner_text("main")
            leaks = (AUDIT_LEAKS if path == "/audit" else LEAKS).findall(text)
            found += [f"{username} {path}: {leak}" for leak in leaks]
        person.close()
    assert found == [], sorted(set(found))
