"""What people do on a deployed platform, over HTTP: the bureau registers two departments and
their staff, the provider publishes an entry and registers a file source for it, a consumer
files a request that the provider's reviewer approves. The same calls as the portal's users."""

import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pyotp

from exchange.demo import demo_code
from exchange.identity.roles import Role
from tools.deploy_check.stack import CheckFailed, password

ROWS = (
    ("91310000MA1FL0001A", "甲企业有限公司", "张三", "1000000.00"),
    ("91310000MA1FL0002B", "乙企业有限公司", "李四", "2500000.00"),
    ("91310000MA1FL0003C", "丙企业有限公司", "王五", "300000.00"),
)
COLUMNS = ("uscc", "enterprise_name", "legal_representative", "registered_capital")
BUREAU = (demo_code(901), "市政务服务和大数据管理局")
PROVIDER = (demo_code(902), "市市场监督管理局")
CONSUMER = (demo_code(903), "市人力资源和社会保障局")
PEOPLE = {
    "provider.staff": (PROVIDER[0], [Role.CATALOG_REGISTRAR, Role.DATA_RESOURCE_ADMIN]),
    "provider.reviewer": (PROVIDER[0], [Role.CATALOG_REVIEWER, Role.DATA_REVIEWER]),
    "consumer": (CONSUMER[0], [Role.CONSUMER]),
}
WANTED_PURPOSE = "核验法定代表人"


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise CheckFailed(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response.json() if response.content else None


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    if found is None:
        raise CheckFailed(f"the page has no {name} field")
    return html.unescape(found.group(1))


def csv_text() -> str:
    return ",".join(COLUMNS) + "\n" + "".join(",".join(row) + "\n" for row in ROWS)


def entry_draft() -> dict[str, Any]:
    def item(name: str, label: str, **more: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "data_type": "string", "length": 200,
                "share_type": "unconditional", **more}  # fmt: skip

    return {
        "name": "企业登记信息",
        "classification_code": "202",
        "abstract": "本市登记注册的各类企业的基本登记信息，包括统一社会信用代码、名称、法定代表人等。",
        "update_cycle": "daily",
        "timeliness": "T+1",
        "items": [
            item("uscc", "统一社会信用代码", length=18, required=True, is_key=True, element="uscc"),
            item("enterprise_name", "企业名称", required=True, element="enterprise_name"),
            item(
                "legal_representative",
                "法定代表人",
                length=50,
                share_type="conditional",
                share_condition="仅用于行政审批核验",
                sensitivity="sensitive",
            ),
            item("registered_capital", "注册资本", data_type="decimal", length=18, precision=2),
        ],
    }


@dataclass
class Walk:
    """The people of the walk and the tokens they signed in with, against one base URL."""

    base_url: str
    admin_password: str = field(default_factory=password)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str, base_url: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=base_url or self.base_url,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            timeout=30,
        )

    def sign_in(self, username: str, secret: str) -> None:
        """An API token, as people get one (R21): with a second factor where their roles require
        it, set up first in the portal (the token then takes one of its recovery codes), and
        with a password of their own where the administrator's must be changed first."""
        codes: list[str] = []
        asked: dict[str, str] = {"username": username, "password": secret}
        answer = httpx.post(f"{self.base_url}/api/v1/auth/token", timeout=30, json=asked)
        if answer.status_code == 403 and "second_factor" in answer.text:
            codes = self.enrol_second_factor(username, secret)
            answer = httpx.post(f"{self.base_url}/api/v1/auth/token", timeout=30,
                                json={**asked, "code": codes.pop()})  # fmt: skip
        if answer.status_code == 403 and "password_change_required" in answer.text:
            own = password()
            change = {**asked, "new_password": own, **({"code": codes.pop()} if codes else {})}
            expect(httpx.post(f"{self.base_url}/api/v1/auth/password", timeout=30, json=change),
                   204, f"{username} chooses their own password")  # fmt: skip
            asked["password"] = own
            answer = httpx.post(f"{self.base_url}/api/v1/auth/token", timeout=30,
                                json={**asked, **({"code": codes.pop()} if codes else {})})  # fmt: skip
        self.tokens[username] = expect(answer, 201, f"{username} signs in")["token"]

    def enrol_second_factor(self, username: str, secret: str) -> list[str]:
        """Sign in to the portal, scan the key (here: read it), confirm it with a code; the
        recovery codes shown."""
        with httpx.Client(base_url=self.base_url, timeout=30) as browser:
            form = browser.get("/login").text
            csrf = _field(form, "csrf_token")
            page = browser.post("/login", data={"username": username, "password": secret,
                                                "csrf_token": csrf}).text  # fmt: skip
            key = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page)
            if key is None:
                raise CheckFailed(f"{username} is not offered a second factor to set up")
            done = browser.post("/login/second-factor", data={
                "challenge": _field(page, "challenge"), "code": pyotp.TOTP(key.group(1)).now(),
            })  # fmt: skip
            codes = re.findall(r"<li><code>([0-9a-f]{10})</code></li>", done.text)
            if done.status_code != 200 or not codes:
                raise CheckFailed(f"{username} sets up a second factor: HTTP {done.status_code}")
            return [str(code) for code in codes]

    def register_people(self) -> None:
        """The bureau's administrator (made with `exchange admin create`) adds the rest."""
        self.sign_in("deploy.admin", self.admin_password)
        with self.client("deploy.admin") as admin:
            for code, name in (PROVIDER, CONSUMER):
                expect(admin.post("/api/v1/departments", json={"code": code, "name": name}),
                       201, f"the bureau registers {name}")  # fmt: skip
            for username, (department, roles) in PEOPLE.items():
                secret = password()
                expect(admin.post("/api/v1/users", json={
                    "username": username, "department_code": department,
                    "roles": [str(r) for r in roles], "password": secret,
                }), 201, f"the bureau adds {username}")  # fmt: skip
                self.sign_in(username, secret)

    def publish_entry(self) -> str:
        with self.client("provider.staff") as staff, self.client("provider.reviewer") as reviewer:
            code = str(expect(staff.post("/api/v1/catalog/entries", json=entry_draft()), 201,
                              "the provider registers an entry")["code"])  # fmt: skip
            path = f"/api/v1/catalog/entries/{code}"
            expect(staff.post(f"{path}/submit", json={}), 200, "the entry is submitted")
            expect(reviewer.post(f"{path}/approve", json={}), 200, "the entry is published")
        return code

    def register_source(self, code: str, folder: str) -> int:
        body = {"resource_code": code, "kind": "file", "config": {"folder": folder}}
        with self.client("provider.staff") as staff:
            return int(expect(staff.post("/api/v1/collection/sources", json=body), 201,
                              "the provider registers a file source")["id"])  # fmt: skip

    def read(self, code: str, columns: str, base_url: str | None = None) -> httpx.Response:
        with self.client("consumer", base_url) as consumer:
            return consumer.get(f"/api/v1/data/{code}/rows",
                                params={"purpose": WANTED_PURPOSE, "columns": columns})  # fmt: skip

    def file_request(self, code: str, purpose: str, base_url: str | None = None) -> int:
        today = date.today()
        body = {
            "resource_code": code, "items": ["legal_representative"],
            "purpose_code": "administrative_approval", "purpose": purpose,
            "duty_basis": "《行政许可法》第三十四条", "mode": "api_query",
            "period_from": today.isoformat(),
            "period_to": (today + timedelta(days=180)).isoformat(),
        }  # fmt: skip
        with self.client("consumer", base_url) as consumer:
            return int(expect(consumer.post("/api/v1/access/requests", json=body), 201,
                              "the consumer files a request")["id"])  # fmt: skip

    def approve(self, request_id: int, base_url: str | None = None) -> None:
        with self.client("provider.reviewer", base_url) as reviewer:
            expect(reviewer.post(f"/api/v1/access/requests/{request_id}/approve", json={}),
                   200, "the provider's reviewer approves")  # fmt: skip

    def request_ids(self) -> set[int]:
        with self.client("consumer") as consumer:
            found = expect(consumer.get("/api/v1/access/requests"), 200,
                           "the consumer lists its requests")  # fmt: skip
        return {int(r["id"]) for r in found}
