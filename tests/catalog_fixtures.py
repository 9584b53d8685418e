"""Catalog fixtures shared by the catalog, collection and API tests."""

from dataclasses import dataclass

import pytest

from catalog import entries, lifecycle
from catalog.classification import ensure_default_classification
from catalog.schemas import EntryDraft, ItemDraft
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.identity.service import get_user, principal_for
from exchange.principal import Principal
from exchange.runtime import Platform
from tests.factories import make_department, make_user


def enterprise_register(**changes: object) -> EntryDraft:
    items = [
        ItemDraft(
            name="uscc",
            label="统一社会信用代码",
            data_type="string",
            length=18,
            required=True,
            is_key=True,
            share_type="unconditional",
            element="uscc",
            description="GB 32100",
        ),
        ItemDraft(
            name="enterprise_name",
            label="企业名称",
            data_type="string",
            length=200,
            required=True,
            share_type="unconditional",
            element="enterprise_name",
        ),
        ItemDraft(
            name="legal_representative",
            label="法定代表人",
            data_type="string",
            length=50,
            share_type="conditional",
            share_condition="仅用于行政审批核验",
            sensitivity="sensitive",
        ),
        ItemDraft(
            name="registered_capital",
            label="注册资本",
            data_type="decimal",
            length=18,
            precision=2,
            share_type="unconditional",
        ),
    ]
    values: dict[str, object] = {
        "name": "企业登记信息",
        "classification_code": "202",
        "abstract": "本市登记注册的各类企业的基本登记信息，包括统一社会信用代码、名称、法定代表人等。",
        "update_cycle": "daily",
        "timeliness": "T+1",
        "items": items,
    }
    values.update(changes)
    return EntryDraft.model_validate(values)


def insured_persons(**changes: object) -> EntryDraft:
    items = [
        ItemDraft(
            name="id_number",
            label="公民身份号码",
            data_type="string",
            length=18,
            required=True,
            is_key=True,
            share_type="conditional",
            share_condition="仅限社会保障业务",
            sensitivity="sensitive",
        ),
        ItemDraft(
            name="insured_since", label="参保日期", data_type="date", share_type="unconditional"
        ),
    ]
    values: dict[str, object] = {
        "name": "社会保险参保信息",
        "classification_code": "201",
        "abstract": "参保人员及缴费记录。",
        "update_cycle": "monthly",
        "items": items,
    }
    values.update(changes)
    return EntryDraft.model_validate(values)


def submitted_entry(world: "CatalogWorld", draft: EntryDraft, registrar: str = "registrar") -> str:
    """Register ``draft`` as ``registrar`` and submit it for review."""
    platform = world.platform
    with platform.database.transaction() as session:
        code = entries.create_entry(
            session, actor=world.actor(registrar), now=platform.clock.now(), draft=draft
        ).resource.code
        lifecycle.submit(
            session,
            actor=world.actor(registrar),
            env=platform.workflow_environment(session),
            code=code,
        )
    return code


def publish_entry(
    world: "CatalogWorld",
    draft: EntryDraft,
    registrar: str = "registrar",
    reviewer: str = "reviewer",
) -> str:
    """Register ``draft`` as the registrar, submit it, and have the reviewer publish it."""
    code = submitted_entry(world, draft, registrar)
    with world.platform.database.transaction() as session:
        lifecycle.approve(
            session,
            actor=world.actor(reviewer),
            env=world.platform.workflow_environment(session),
            code=code,
        )
    return code


@dataclass
class CatalogWorld:
    platform: Platform
    provider: Department
    consumer_department: Department
    bureau: Department
    users: dict[str, int]

    def actor(self, name: str) -> Principal:
        with self.platform.database.transaction() as session:
            return principal_for(get_user(session, self.users[name]))


@pytest.fixture
def world(platform: Platform) -> CatalogWorld:
    with platform.database.transaction() as session:
        ensure_default_classification(session)
        provider = make_department(session, platform, name="市市场监督管理局")
        consumer = make_department(session, platform, name="市人力资源和社会保障局")
        bureau = make_department(session, platform, name="市政务服务和大数据管理局")
        specs = {
            "registrar": (provider, [Role.CATALOG_REGISTRAR, Role.CATALOG_REVIEWER]),
            "reviewer": (provider, [Role.CATALOG_REVIEWER]),
            "resource_admin": (provider, [Role.DATA_RESOURCE_ADMIN]),
            "other_registrar": (consumer, [Role.CATALOG_REGISTRAR]),
            "other_reviewer": (consumer, [Role.CATALOG_REVIEWER]),
            "consumer": (consumer, [Role.CONSUMER]),
            "admin": (bureau, [Role.BUREAU_ADMIN]),
            "system_admin": (bureau, [Role.SYSTEM_ADMIN]),
            "security_admin": (bureau, [Role.SECURITY_ADMIN]),
            "data_reviewer": (provider, [Role.DATA_REVIEWER]),
            "second_data_reviewer": (provider, [Role.DATA_REVIEWER]),
            "coordinator": (bureau, [Role.COORDINATING_OFFICE]),
            "steward": (bureau, [Role.DATA_STEWARD]),
        }
        users = {
            name: make_user(session, platform, dept, *roles).id
            for name, (dept, roles) in specs.items()
        }
    return CatalogWorld(platform, provider, consumer, bureau, users)
