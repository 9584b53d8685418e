"""The web portal in a real browser (Debian's Chromium, driven by Playwright) against a demo
server started here: a consumer requests conditional items, the provider narrows and approves,
the consumer downloads exactly the approved columns, and another department cannot open the
request by its URL. Every step leaves a screenshot in test-artifacts/portal/."""

import csv
import io
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.servers import demo_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
PASSWORD = "demo-password-2026"
BROWSER_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (make test installs it with fonts-noto-cjk)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("portal"), "--rows", "60") as (base, _):
        yield base


def chromium_for(artifacts: Path) -> Iterator[Any]:
    """Debian's Chromium under Playwright, with ``artifacts`` emptied for the screenshots."""
    from playwright.sync_api import sync_playwright

    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_for(ARTIFACTS)


class Visitor:
    """One person at the browser, with their own cookies; keeps every request the pages make."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(accept_downloads=True, locale="zh-CN")
        self.page = self.context.new_page()
        self.requested: list[str] = []
        self.page.on("request", lambda r: self.requested.append(r.url))

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.submit_sign_in(username, password)
        self.page.wait_for_url(f"{self.base}/")

    def submit_sign_in(self, username: str, password: str) -> None:
        """The sign-in form filled and sent; whatever page follows."""
        self.page.goto(f"{self.base}/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def find_entry(visitor: Visitor, query: str, name: str) -> None:
    """Search the catalog from the menu and open the entry called ``name``."""
    visitor.page.click("nav >> text=资源目录")
    visitor.page.fill("#q", query)
    visitor.page.click("form[role=search] button")
    visitor.page.click(f"text={name}")


def test_request_narrow_approve_download_and_no_peeking(server: str, browser: Any) -> None:
    consumer = Visitor(browser, server)
    consumer.sign_in("scjg.consumer")
    consumer.shot("01-consumer-home")
    find_entry(consumer, "社会保险", "社会保险参保信息")
    consumer.shot("02-resource-page")
    assert consumer.page.locator(".badge.conditional").count() >= 2
    consumer.page.click("text=申请有条件共享信息项")
    consumer.page.check("input[name=items][value=id_number]")
    consumer.page.check("input[name=items][value=person_name]")
    consumer.page.fill("#purpose", "核验企业参保人员身份")
    consumer.page.fill("#duty_basis", "《企业信息公示暂行条例》第十四条")
    # The grant starts on the first day asked for: today, so the preview below reads now.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    consumer.page.fill("#period_from", today.isoformat())
    consumer.page.fill("#period_to", (today + timedelta(days=365)).isoformat())
    consumer.shot("03-request-form")
    consumer.page.click("text=提交申请")
    consumer.page.wait_for_url(re.compile(r".*/access/requests/\d+.*"))
    request_url = consumer.page.url.split("?")[0]
    assert "待审核" in consumer.page.content()
    consumer.shot("04-request-filed")

    reviewer = Visitor(browser, server)
    reviewer.sign_in("rs.data_reviewer")
    assert "剩余工作日" in reviewer.page.content()  # the new task with its countdown
    reviewer.shot("05-reviewer-home")
    reviewer.page.click("text=待审申请")
    reviewer.page.click(f"a[href='{request_url.removeprefix(server)}']")
    reviewer.page.uncheck("input[name=items][value=id_number]")  # narrowed to the name only
    reviewer.shot("06-reviewer-narrows")
    with reviewer.page.expect_navigation():  # the form posts, then lands on the request again
        reviewer.page.check("#confirm-approve")
        reviewer.page.click("button:has-text('同意')")
    assert reviewer.page.inner_text("#approved-items") == "姓名 person_name"  # name, identifier
    reviewer.shot("07-approved")

    consumer.page.goto(request_url)
    consumer.page.click("text=预览和下载数据")
    consumer.page.fill("#purpose", "核验企业参保人员身份")
    with consumer.page.expect_navigation():
        consumer.page.click("text=查看")
    resource_code = re.search(r"/data/(\d+/\d+)", consumer.page.url).group(1)  # type: ignore[union-attr]
    headers = consumer.page.locator("#preview th").all_inner_texts()
    assert headers == ["姓名 person_name"], consumer.page.url  # the name, the identifier small
    consumer.shot("08-preview")
    with consumer.page.expect_download() as download:
        consumer.page.click("#download")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")  # with a BOM for Excel
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["姓名"]  # a spreadsheet's header names the item as the catalog does
    assert len(rows) > 10
    # Asking for the item the reviewer left out, by URL, is refused by name.
    refused = consumer.page.goto(f"{server}/data/{resource_code}?purpose=核验&columns=id_number")
    assert refused.status == 403
    assert "id_number" in consumer.page.content()
    consumer.shot("09-refused-item")

    outsider = Visitor(browser, server)
    outsider.sign_in("mz.consumer")
    response = outsider.page.goto(request_url)
    assert response.status == 404
    assert "91" not in outsider.page.inner_text("main")  # nothing of the request shows
    outsider.shot("10-other-department")
    for visitor in (consumer, reviewer, outsider):
        assert all(url.startswith(server) for url in visitor.requested), visitor.requested
        visitor.close()


def test_r14_masked_and_verify_only_items_are_requested_previewed_and_verified(
    server: str, browser: Any
) -> None:
    reviewer = Visitor(browser, server)
    reviewer.sign_in("rs.data_reviewer")
    consumer = Visitor(browser, server)
    consumer.sign_in("scjg.consumer")
    find_entry(consumer, "社会保险", "社会保险参保信息")
    code = re.search(r"/catalog/(\d+/\d+)", consumer.page.url).group(1)  # type: ignore[union-attr]
    consumer.page.click("text=申请有条件共享信息项")
    consumer.page.check("input[name=items][value=id_number]")
    consumer.page.select_option("select[name=access_id_number]", "masked")
    consumer.page.check("input[name=items][value=person_name]")
    consumer.page.select_option("select[name=access_person_name]", "verify")
    consumer.page.fill("#purpose", "核验参保人员身份")
    consumer.page.fill("#duty_basis", "《社会保险法》第五十七条")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    consumer.page.fill("#period_from", today.isoformat())
    consumer.page.fill("#period_to", (today + timedelta(days=365)).isoformat())
    consumer.shot("21-request-masked-and-verify")
    consumer.page.click("text=提交申请")
    consumer.page.wait_for_url(re.compile(r".*/access/requests/\d+.*"))
    request_url = consumer.page.url.split("?")[0]
    assert "仅核验" in consumer.page.inner_text("#asked-access")

    reviewer.page.goto(request_url)
    reviewer.shot("22-reviewer-sees-the-modes")
    with reviewer.page.expect_navigation():
        reviewer.page.check("#confirm-approve")
        reviewer.page.click("button:has-text('同意')")
    assert "脱敏读取" in reviewer.page.inner_text("#approved-access")
    # The provider reads its own data whole: two people to verify, as the consumer holds them.
    reviewer.page.goto(f"{server}/data/{code}?purpose=核对&columns=id_number,person_name")
    cells = reviewer.page.locator("#preview tr").nth(1).locator("td").all_inner_texts()
    other = reviewer.page.locator("#preview tr").nth(2).locator("td").all_inner_texts()

    consumer.page.goto(request_url)
    consumer.page.click("text=预览和下载数据")
    consumer.page.fill("#purpose", "核验参保人员身份")
    with consumer.page.expect_navigation():
        consumer.page.click("text=查看")
    shown = consumer.page.locator("#preview tr").nth(1).locator("td").all_inner_texts()
    assert shown[0] == cells[0][:4] + "*" * 10 + cells[0][-4:]
    assert cells[0] not in consumer.page.content()
    consumer.shot("23-preview-masked")

    consumer.page.goto(request_url)
    with consumer.page.expect_navigation():
        consumer.page.click(f"a[href='/data/{code}/verify']")
    consumer.page.fill("#purpose", "核验参保人员身份")
    consumer.page.fill(
        "#table",
        f"公民身份号码\t姓名\n{cells[0]}\t{cells[1]}\n{other[0]}\t某某某\n"
        f"110101190001010000\t{cells[1]}",
    )
    with consumer.page.expect_navigation():
        consumer.page.click("button:has-text('核验')")
    consumer.shot("24-verified")
    outcomes = consumer.page.locator("#results td[class^=outcome]").all_inner_texts()
    assert outcomes == ["一致", "数值不一致", "未找到"]
    assert other[1] not in consumer.page.inner_text("#results")  # no stored value comes back
    for visitor in (consumer, reviewer):
        assert all(url.startswith(server) for url in visitor.requested), visitor.requested
        visitor.close()


def test_r30_r31_r33_the_cloud_in_the_browser_provider_unit_and_bureau(
    server: str, browser: Any
) -> None:
    provider = Visitor(browser, server)
    provider.sign_in("yun.cloud_provider")
    menu = provider.page.locator("nav.main a").all_inner_texts()
    assert "工单" in menu
    assert "资源目录" not in menu
    provider.page.click("nav >> text=工单")
    row = provider.page.locator("#work-orders tr", has_text="电子税务局")
    assert "16 核" in row.inner_text()
    row.locator("input[name=record]").fill("ecs=ecs-sw-01, ebs=vol-sw-01")
    with provider.page.expect_navigation():
        row.locator("button").click()
    assert "ecs-sw-01" in provider.page.locator("#work-orders").inner_text()
    provider.shot("31-provider-opened")
    refused = provider.page.goto(f"{server}/catalog")
    assert refused.status == 403

    unit = Visitor(browser, server)
    unit.sign_in("rs.project_officer")
    unit.page.click("nav >> text=政务云")
    unit.page.click("text=社会保险经办系统")
    unit.page.fill("#report", "试运行测试：功能、性能、安全均通过")
    with unit.page.expect_navigation():
        unit.page.click("button:has-text('提交测试报告')")
    assert unit.page.inner_text("#state") == "测试报告待审"
    application_url = unit.page.url.split("?")[0]
    unit.shot("32-unit-filed-test")

    bureau = Visitor(browser, server)
    bureau.sign_in("dsj.cloud_reviewer")
    bureau.page.click("nav >> text=政务云")
    # The provider's reports were collected like any source: the system in trial sits idle.
    idle = bureau.page.locator("#rightsizing tr", has_text="社会保险经办系统").first
    assert "闲置" in idle.inner_text()
    assert "释放" in idle.inner_text()
    bureau.shot("33-bureau-rightsizing")
    bureau.page.goto(application_url)
    bureau.page.fill("#note", "测试通过")
    with bureau.page.expect_navigation():
        bureau.page.click("button:has-text('转入正式运行')")
    assert bureau.page.inner_text("#state") == "正式运行"
    assert bureau.page.inner_text("#mlps-due") > "2026"  # six months after going live
    bureau.shot("34-bureau-production")
    bureau.page.goto(f"{server}/supervision/scorecards?period=2026")
    assessed = bureau.page.inner_text("#cloud-assessments")
    assert "某政务云服务有限公司" in assessed
    assert "市市场监督管理局" in assessed
    for visitor in (provider, unit, bureau):
        assert all(url.startswith(server) for url in visitor.requested), visitor.requested
        visitor.close()


PAGES = [
    "/", "/catalog", "/catalog/new", "/catalog/review", "/catalog/import", "/access/requests",
    "/access/inbox", "/access/grants", "/access/usage", "/access/disputes", "/quality", "/audit",
    "/admin", "/admin/calendar", "/account/tokens", "/supervision/suspensions",
    "/supervision/scorecards", "/supervision/violations", "/supervision/usage-statements",
    "/sources", "/quality/comparisons", "/projects", "/cloud", "/cloud/work-orders", "/login",
    "/supervision/dashboard",
]  # fmt: skip


def test_a_registrar_registers_an_entry_and_a_reviewer_publishes_it(
    server: str, browser: Any
) -> None:
    registrar = Visitor(browser, server)
    registrar.sign_in("scjg.catalog_registrar")
    registrar.page.click("nav >> text=资源目录")
    registrar.page.click("text=登记目录")
    registrar.page.fill("#name", "食品经营许可信息")
    registrar.page.select_option("#classification_code", "202")
    registrar.page.fill(
        "#abstract", "本市食品经营许可证的核发信息，包括许可证号、经营者名称、有效期等。"
    )
    for row, (name, label, length) in enumerate(
        [("uscc", "统一社会信用代码", "18"), ("licence_no", "许可证编号", "30")]
    ):
        registrar.page.fill(f"input[name=item-{row}-name]", name)
        registrar.page.fill(f"input[name=item-{row}-label]", label)
        registrar.page.fill(f"input[name=item-{row}-length]", length)
    registrar.page.check("input[name=item-0-required]")
    registrar.page.check("input[name=item-0-is_key]")
    registrar.page.select_option("select[name=item-0-value_format]", "uscc")
    registrar.page.check("input[name=submit_now]")
    registrar.shot("16-registrar-form")
    registrar.page.click("button:has-text('保存')")
    registrar.page.wait_for_url(re.compile(r".*/catalog/202/\d+.*"))
    entry_url = registrar.page.url.split("?")[0]
    assert registrar.page.inner_text("#working-state") == "待审核"
    registrar.shot("17-submitted")

    reviewer = Visitor(browser, server)
    reviewer.sign_in("scjg.catalog_reviewer")
    reviewer.page.goto(f"{server}/catalog/review")
    reviewer.page.click("text=食品经营许可信息")
    reviewer.page.fill("#approve-comment", "要素齐全，同意发布")
    with reviewer.page.expect_navigation():
        reviewer.page.click("button:has-text('审核通过并发布')")
    assert "已发布" in reviewer.page.inner_text("main")
    reviewer.shot("18-published")

    other = Visitor(browser, server)
    other.sign_in("sw.consumer")
    other.page.goto(f"{server}/catalog?q=食品经营")
    assert "食品经营许可信息" in other.page.inner_text("main")  # published: the city finds it
    other.page.goto(entry_url)
    assert "licence_no" in other.page.inner_text("main")
    for visitor in (registrar, reviewer, other):
        visitor.close()


def test_a_steward_sees_a_planted_inconsistency_and_the_department_answers_it(
    server: str, browser: Any
) -> None:
    steward = Visitor(browser, server)
    steward.sign_in("dsj.data_steward")
    steward.page.click("nav.side >> text=质量问题")
    steward.shot("12-steward-overview")
    steward.page.click("a.report-link")
    assert "数据比对报告" in steward.page.title()
    steward.shot("12b-comparison-report")
    steward.page.go_back()
    steward.page.click("a:has-text('数据比对不一致')")
    issue_url = steward.page.url
    findings = steward.page.inner_text("#findings")
    assert "≠" in findings  # a name that differs between the two registers
    steward.shot("13-steward-issue")

    provider = Visitor(browser, server)
    provider.sign_in("scjg.data_resource_admin")
    provider.page.goto(issue_url)
    with provider.page.expect_navigation():
        provider.page.click("button:has-text('确认收到')")
    assert "工作日" in provider.page.inner_text("#due")  # the deadline and the days left
    # One finding answered on its own, by selection.
    provider.page.check("#findings input[name=ref] >> nth=0")
    provider.page.select_option("#finding-kind", "disputed")
    provider.page.fill("#finding-text", "该企业已于本月变更名称，社保登记待更新")
    with provider.page.expect_navigation():
        provider.page.click("button:has-text('答复所选问题')")
    assert "有异议" in provider.page.inner_text("#findings")
    provider.shot("13b-department-answers-one-finding")
    provider.page.select_option("#kind", "confirmed")
    provider.page.fill("#text", "经核对，工商登记名称为准")
    with provider.page.expect_navigation():
        provider.page.click("button:has-text('提交反馈')")
    assert "须提供依据" in provider.page.inner_text("[role=alert]")  # confirming needs evidence
    provider.page.select_option("#kind", "confirmed")
    provider.page.fill("#text", "经核对，工商登记名称为准")
    provider.page.fill("#evidence", "营业执照档案 440300-2026-0815")
    with provider.page.expect_navigation():
        provider.page.click("button:has-text('提交反馈')")
    assert "已反馈" in provider.page.inner_text("h1")
    provider.shot("14-department-answers")

    steward.page.goto(issue_url)
    with steward.page.expect_navigation():
        steward.page.click("button:has-text('核验通过')")
    assert "已核验" in steward.page.inner_text("h1")
    steward.shot("15-steward-verifies")
    for visitor in (steward, provider):
        assert all(url.startswith(server) for url in visitor.requested)
        visitor.close()


def test_r9_a_data_administrator_runs_and_tests_sources_without_curl(
    server: str, browser: Any
) -> None:
    admin = Visitor(browser, server)
    admin.sign_in("scjg.data_resource_admin")
    admin.page.click("nav >> text=数据来源")
    assert "平台从何处采集本部门数据" in admin.page.inner_text("main")
    admin.shot("23-sources")
    admin.page.click("#sources a >> nth=0")
    source_url = admin.page.url
    with admin.page.expect_navigation():
        admin.page.click("button:has-text('立即运行')")
    assert "已开始运行" in admin.page.inner_text("main")
    admin.page.goto(source_url)
    runs = admin.page.inner_text("#runs")
    assert "成功" in runs
    admin.shot("24-source-runs")

    # The connection test shows each catalog item against the column found, before saving.
    admin.page.goto(f"{server}/sources")
    options = admin.page.locator("#resource_code option").all_inner_texts()
    register = next(o for o in options if o.startswith("企业登记信息"))
    admin.page.select_option("#resource_code", label=register)
    admin.page.select_option("#kind", "database")
    admin.page.fill("#config_table", "enterprise_register")
    admin.page.fill("#secret_url", "sqlite:///market_regulation.db")
    with admin.page.expect_navigation():
        admin.page.click("button:has-text('测试连接')")
    matches = admin.page.inner_text("#column-matches")
    assert "匹配" in matches
    admin.shot("25-connection-test")
    admin.page.fill("#secret_url", "sqlite:///market_regulation.db")
    with admin.page.expect_navigation():
        admin.page.click("button:has-text('登记该数据来源')")
    assert "附加来源" in admin.page.inner_text("[role=alert]")  # a second source is deliberate
    admin.shot("26-second-source-refused")
    admin.close()


def test_r18_a_steward_defines_and_runs_a_comparison_by_picking(server: str, browser: Any) -> None:
    steward = Visitor(browser, server)
    steward.sign_in("dsj.data_steward")
    steward.page.goto(f"{server}/quality")
    steward.page.click("main >> text=数据比对")
    options = steward.page.locator("#pick-left option").all_inner_texts()
    enterprise = next(o for o in options if o.startswith("企业登记信息"))
    taxpayers = next(o for o in options if o.startswith("纳税人"))
    steward.page.select_option("#pick-left", label=enterprise)
    steward.page.select_option("#pick-right", label=taxpayers)
    with steward.page.expect_navigation():
        steward.page.click("button:has-text('显示两者的信息项')")
    steward.page.fill("#name", "浏览器中定义的企业名称核对")
    steward.shot("27-comparison-pairs")
    with steward.page.expect_navigation():
        steward.page.click("button:has-text('保存数据比对')")
    assert "浏览器中定义的企业名称核对" in steward.page.inner_text("#comparisons")
    row = steward.page.locator("#comparisons tr", has_text="浏览器中定义的企业名称核对")
    with steward.page.expect_navigation():
        row.locator("button:has-text('立即运行')").click()
    assert "数据比对报告" in steward.page.title()
    steward.shot("28-comparison-report")
    steward.close()


def test_every_page_has_chinese_and_english_titles_and_loads_nothing_from_outside(
    server: str, browser: Any
) -> None:
    visitor = Visitor(browser, server)
    visitor.sign_in("dsj.bureau_admin")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for path in PAGES:
        for lang, expect_chinese in (("zh", True), ("en", False)):
            visitor.page.goto(f"{server}{path}?lang={lang}")
            title = visitor.page.title()
            heading = visitor.page.locator("h1").first.inner_text()
            assert title
            assert heading
            assert bool(cjk.search(title)) is expect_chinese, (path, lang, title)
            assert bool(cjk.search(heading)) is expect_chinese, (path, lang, heading)
    visitor.shot("11-english")
    assert all(url.startswith(server) for url in visitor.requested)
    visitor.close()


def test_signing_in_and_searching_work_from_the_keyboard(server: str, browser: Any) -> None:
    person = Visitor(browser, server)
    person.page.goto(f"{server}/login")
    for _ in range(10):  # Tab through the header to the user name field
        if person.page.evaluate("document.activeElement.id") == "username":
            break
        person.page.keyboard.press("Tab")
    person.page.keyboard.type("sw.consumer")
    person.page.keyboard.press("Tab")
    person.page.keyboard.type(PASSWORD)
    person.page.keyboard.press("Enter")
    person.page.wait_for_url(f"{server}/")
    person.page.keyboard.press("Tab")  # the first stop is the skip link
    assert person.page.evaluate("document.activeElement.textContent") == "跳到正文"
    person.page.goto(f"{server}/catalog")
    person.page.focus("#q")
    person.page.keyboard.type("婚姻")
    with person.page.expect_navigation():
        person.page.keyboard.press("Enter")
    assert "婚姻登记信息" in person.page.inner_text("main")
    person.shot("22-keyboard-search")
    person.close()


def test_pages_fit_a_phone_screen(server: str, browser: Any) -> None:
    phone = Visitor(browser, server)
    phone.page.set_viewport_size({"width": 390, "height": 844})
    phone.sign_in("rs.data_reviewer")
    for name, path in (("19-phone-home", "/"), ("20-phone-catalog", "/catalog?q=登记"),
                       ("21-phone-quality", "/quality")):  # fmt: skip
        phone.page.goto(f"{server}{path}")
        phone.shot(name)
        # Wide tables scroll inside their box; the page itself never scrolls sideways.
        assert phone.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            path
        )
    phone.close()


def test_r25_r27_a_project_is_completed_reviewed_approved_and_vetoed_in_the_browser(
    server: str, browser: Any, tmp_path: Path
) -> None:
    """The demo's incomplete project, through every role's step: the unit files its plan and
    completes, the reviewer refers it to an expert of another department, the expert files an
    opinion, the reviewer approves, and the acceptance meets the sharing veto — in Chinese, then
    read in English."""

    def open_project(visitor: Visitor) -> None:
        visitor.page.click("nav >> text=政务信息化项目")
        visitor.page.click("text=人口基础信息库扩容")

    def take(visitor: Visitor, button: str) -> None:
        with visitor.page.expect_navigation():
            visitor.page.click(f"button:has-text('{button}')")

    unit = Visitor(browser, server)
    unit.sign_in("ga.project_officer")
    open_project(unit)
    assert "建设方案" in unit.page.inner_text("#gaps")
    unit.shot("29-project-incomplete")
    plan = tmp_path / "建设方案.pdf"
    plan.write_bytes(b"%PDF-1.4 construction plan")
    unit.page.select_option("#kind", "plan")
    unit.page.set_input_files("#file", str(plan))
    take(unit, "报送材料")
    assert unit.page.locator("#gaps").count() == 0
    take(unit, "材料已补正")
    assert unit.page.inner_text("#project-state") == "初审"
    project_url = unit.page.url.split("?")[0]
    unit.shot("30-project-completed")

    reviewer = Visitor(browser, server)
    reviewer.sign_in("dsj.project_reviewer")
    reviewer.page.goto(project_url)
    reviewer.page.fill("#experts", "ga.expert")  # the unit's own expert: refused (R26)
    take(reviewer, "提交专家评审")
    assert "不得评审本单位项目" in reviewer.page.content()
    reviewer.page.fill("#experts", "scjg.expert")
    take(reviewer, "提交专家评审")
    assert reviewer.page.inner_text("#project-state") == "专家评审"
    reviewer.shot("31-project-expert-review")

    expert = Visitor(browser, server)
    expert.sign_in("scjg.expert")
    expert.page.goto(project_url)
    expert.page.fill("#opinion", "技术路线可行，共享清单完整")
    take(expert, "提交我的意见")
    expert.shot("32-project-opinion")

    reviewer.page.goto(project_url)
    reviewer.page.fill("#reply", "同意立项")
    take(reviewer, "出具审查意见")
    assert reviewer.page.inner_text("#project-state") == "已同意"
    assert reviewer.page.inner_text("#approval-number")
    take(reviewer, "组织验收")
    assert "未通过共享核查" in reviewer.page.content()
    take(reviewer, "执行共享核查")
    assert "从未向平台提供数据" in reviewer.page.inner_text("#sharing-check")
    reviewer.shot("33-project-vetoed")
    reviewer.page.goto(f"{project_url}?lang=en")
    assert "has never been provided" in reviewer.page.inner_text("#sharing-check")
    reviewer.shot("34-project-vetoed-english")

    finance = Visitor(browser, server)
    finance.sign_in("cz.finance_office")
    finance.page.click("nav >> text=政务信息化项目")
    assert finance.page.locator("#projects tr").count() >= 6  # every unit's projects
    for visitor in (unit, reviewer, expert, finance):
        assert all(url.startswith(server) for url in visitor.requested), visitor.requested
        visitor.close()


def test_r21_a_new_account_chooses_its_own_password_at_first_sign_in(
    server: str, browser: Any
) -> None:
    """The system administrator adds an account with an initial password; its holder signs in,
    is asked for a password of their own before anything else, and signs in with it after."""
    admin = Visitor(browser, server)
    admin.sign_in("dsj.system_admin")
    admin.page.goto(f"{server}/admin")
    admin.page.fill("#new-username", "wang.clerk")
    admin.page.fill("#new-display", "王文员")
    admin.page.select_option("#new-dept", label="市民政局")
    admin.page.fill("#new-password", "Initial pass 2026")
    admin.page.check("form[action='/admin/users'] input[name=roles][value=consumer]")
    admin.page.click("form[action='/admin/users'] button[type=submit]")
    assert "wang.clerk" in admin.page.inner_text("main")
    admin.close()

    clerk = Visitor(browser, server)
    clerk.submit_sign_in("wang.clerk", "Initial pass 2026")
    assert clerk.page.locator("h1").inner_text() == "修改密码"
    assert "您的密码由管理员设置" in clerk.page.inner_text("main")
    clerk.shot("40-new-password-asked")
    clerk.page.goto(f"{server}/catalog")  # no session yet: back to signing in
    assert "/login" in clerk.page.url
    clerk.page.fill("#username", "wang.clerk")
    clerk.page.fill("#password", "Initial pass 2026")
    clerk.page.click("button[type=submit]")
    clerk.page.fill("#password", "Initial pass 2026")
    clerk.page.fill("#new_password", "Wang's own pass 88")
    clerk.page.fill("#repeat", "Wang's own pass 88")
    clerk.page.click("#new-password button[type=submit]")
    clerk.page.wait_for_url(f"{server}/catalog")  # where the sign-in was for
    clerk.close()

    again = Visitor(browser, server)
    again.sign_in("wang.clerk", "Wang's own pass 88")
    again.close()
