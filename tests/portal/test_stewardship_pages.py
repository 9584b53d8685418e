"""A data steward's setup in the portal (R18): a comparison defined by picking two resources and
pairing their items, run with its report; a check added to a resource's suite and made blocking.
Only data stewards may; others see the pages without the forms and are refused if they post."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.identity.roles import Role
from quality.models import Comparison, ComparisonRun, StewardExpectation
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.scenarios.people import sign_in
from tests.scenarios.quality import write


def test_r18_a_steward_defines_and_runs_a_comparison_and_adds_a_blocking_check(
    world: CatalogWorld, client: TestClient
) -> None:
    left = publish_entry(world, enterprise_register())
    right = publish_entry(world, enterprise_register(name="纳税人登记信息"))
    write(world, left, ["91440300MA5D000001", "91440300MA5D000002"], "left")
    write(world, right, ["91440300MA5D000001", "91440300MA5D000003"], "right")

    # Not a steward: no form, and a post is refused.
    clerk = sign_in(client, world, world.provider, Role.DATA_RESOURCE_ADMIN)
    assert "pair_left" not in client.get(f"/quality/comparisons?left={left}&right={right}").text
    refused = client.post("/quality/comparisons", data={"csrf_token": clerk, "name": "x"})
    assert refused.status_code == 400
    assert "数据质量管理员" in refused.text

    token = sign_in(client, world, world.bureau, Role.DATA_STEWARD)
    picked = client.get(f"/quality/comparisons?left={left}&right={right}")
    assert picked.text.count('name="pair_left"') == 4
    names = re.findall(r'name="pair_left" value="([a-z_]+)"', picked.text)
    roles = ["key" if name == "uscc" else "compare" for name in names]
    defined = client.post("/quality/comparisons", data={
        "csrf_token": token, "name": "企业与纳税人登记核对", "left": left, "right": right,
        "pair_left": names, "pair_right": names, "pair_role": roles,
        "pair_tolerance": ["", "", "", "0.01"], "normalise": ["width", "spaces"],
    }, follow_redirects=False)  # fmt: skip
    assert defined.status_code == 303
    with world.platform.database.transaction() as session:
        comparison = session.scalars(select(Comparison)).one()
        assert comparison.keys == [["uscc", "uscc"]]
        assert [a["left"] for a in comparison.attributes] == names[1:]
        assert comparison.attributes[-1]["tolerance"] == 0.01
        assert comparison.normalise == ["width", "spaces"]
    ran = client.post(
        f"/quality/comparisons/{comparison.id}/run", data={"csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert ran.status_code == 303
    report = client.get(ran.headers["location"])
    assert "数据比对报告" in report.text
    assert "仅左侧存在" in report.text  # one key on each side only
    with world.platform.database.transaction() as session:
        run = session.scalars(select(ComparisonRun)).one()
        assert (run.matched, run.left_only, run.right_only) == (1, 1, 1)

    checks = f"/quality/resources/{left}/checks"
    assert "值的类型与目录一致" in client.get(checks).text  # the generated suite, in Chinese
    added = client.post(checks, data={
        "csrf_token": token, "kind": "in_set", "column": "legal_representative",
        "values": "张0; 张1", "description": "法定代表人只能是登记的人员", "blocking": "on",
    }, follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    with world.platform.database.transaction() as session:
        check = session.scalars(select(StewardExpectation)).one()
        assert (check.params, check.blocking) == ({"values": ["张0", "张1"]}, True)
    client.post(f"/quality/checks/{check.id}/unblock", data={"csrf_token": token, "back": checks})
    with world.platform.database.transaction() as session:
        assert session.get_one(StewardExpectation, check.id).blocking is False
    bad = client.post(checks, data={
        "csrf_token": token, "kind": "in_set", "column": "no_such_item", "values": "a",
        "description": "错误的检查",
    })  # fmt: skip
    assert bad.status_code == 400
    assert "不是该资源的信息项" in bad.text
