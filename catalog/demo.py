"""A realistic demonstration catalog: 30 resources of five departments, all three share types,
most published, some waiting for review, some still drafts."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import entries, governance, lifecycle
from catalog.classification import ensure_default_classification
from catalog.models import Resource
from catalog.schemas import EntryDraft, ItemDraft
from exchange.identity.models import User
from exchange.identity.service import principal_for
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment

PERSONAL_INFO_LAW = "《中华人民共和国个人信息保护法》第二十八条、第三十四条"

# name: (label, type, length, precision, share type, element)
ITEMS: dict[str, tuple[str, str, int | None, int | None, str, str | None]] = {
    "uscc": ("统一社会信用代码", "string", 18, None, "unconditional", "uscc"),
    "enterprise_name": ("企业名称", "string", 200, None, "unconditional", "enterprise_name"),
    "legal_representative": ("法定代表人", "string", 50, None, "conditional", None),
    "address": ("住所", "string", 200, None, "unconditional", None),
    "registered_capital": ("注册资本（万元）", "decimal", 18, 2, "unconditional", None),
    "established_on": ("成立日期", "date", None, None, "unconditional", None),
    "business_scope": ("经营范围", "string", 2000, None, "unconditional", None),
    "status": ("登记状态", "string", 20, None, "unconditional", None),
    "id_number": ("公民身份号码", "string", 18, None, "conditional", "id_number"),
    "person_name": ("姓名", "string", 50, None, "conditional", "person_name"),
    "phone": ("联系电话", "string", 20, None, "conditional", None),
    "amount": ("金额（元）", "decimal", 18, 2, "conditional", None),
    "decided_on": ("决定日期", "date", None, None, "unconditional", None),
    "document_number": ("文书编号", "string", 50, None, "unconditional", None),
    "reason": ("事由", "string", 500, None, "unconditional", None),
    "certificate_number": ("证书编号", "string", 50, None, "unconditional", None),
    "valid_until": ("有效期至", "date", None, None, "unconditional", None),
    "credit_level": ("信用等级", "string", 2, None, "conditional", None),
    "period": ("所属期", "string", 7, None, "unconditional", None),
    "plate_number": ("号牌号码", "string", 10, None, "conditional", None),
    "household_address": ("户籍地址", "string", 200, None, "conditional", None),
    "religion": ("宗教信仰", "string", 20, None, "not_shared", None),
    "health_record": ("健康状况", "string", 200, None, "not_shared", None),
    "org_name": ("社会组织名称", "string", 200, None, "unconditional", None),
    "bed_count": ("床位数", "integer", None, None, "unconditional", None),
}


@dataclass(frozen=True)
class DemoEntry:
    department: str
    name: str
    classification: str
    cycle: str
    keys: tuple[str, ...]
    items: tuple[str, ...]
    state: str = "published"  # published, submitted or draft
    not_shared_basis: str | None = None  # every item not shared, under this law


DEMO_ENTRIES = (
    DemoEntry(
        "scjg",
        "企业登记信息",
        "102",
        "daily",
        ("uscc",),
        (
            "uscc",
            "enterprise_name",
            "legal_representative",
            "address",
            "registered_capital",
            "established_on",
            "business_scope",
            "status",
        ),
    ),
    DemoEntry(
        "scjg",
        "个体工商户登记信息",
        "202",
        "daily",
        ("uscc",),
        ("uscc", "enterprise_name", "person_name", "address"),
    ),
    DemoEntry(
        "scjg",
        "企业年度报告信息",
        "202",
        "yearly",
        ("uscc", "period"),
        ("uscc", "period", "phone", "amount"),
    ),
    DemoEntry(
        "scjg",
        "行政许可信息",
        "206",
        "daily",
        ("document_number",),
        ("document_number", "uscc", "enterprise_name", "reason", "decided_on", "valid_until"),
    ),
    DemoEntry(
        "scjg",
        "行政处罚信息",
        "206",
        "daily",
        ("document_number",),
        ("document_number", "uscc", "reason", "amount", "decided_on"),
    ),
    DemoEntry(
        "scjg",
        "食品经营许可证信息",
        "104",
        "weekly",
        ("certificate_number",),
        ("certificate_number", "uscc", "enterprise_name", "valid_until"),
        "submitted",
    ),
    DemoEntry(
        "sw",
        "纳税人登记信息",
        "203",
        "daily",
        ("uscc",),
        ("uscc", "enterprise_name", "status", "phone"),
    ),
    DemoEntry(
        "sw",
        "纳税信用等级信息",
        "206",
        "yearly",
        ("uscc", "period"),
        ("uscc", "period", "credit_level"),
    ),
    DemoEntry(
        "sw",
        "欠税公告信息",
        "203",
        "quarterly",
        ("uscc", "period"),
        ("uscc", "period", "amount", "decided_on"),
    ),
    DemoEntry(
        "sw", "发票开具汇总信息", "203", "monthly", ("uscc", "period"), ("uscc", "period", "amount")
    ),
    DemoEntry(
        "sw",
        "税收违法案件信息",
        "206",
        "irregular",
        ("document_number",),
        ("document_number", "uscc", "reason", "decided_on"),
        "submitted",
    ),
    DemoEntry(
        "sw",
        "社保费缴纳信息",
        "201",
        "monthly",
        ("id_number", "period"),
        ("id_number", "period", "amount"),
        "draft",
    ),
    DemoEntry(
        "rs",
        "社会保险参保信息",
        "201",
        "monthly",
        ("id_number",),
        ("id_number", "person_name", "uscc", "established_on", "status"),
    ),
    DemoEntry(
        "rs",
        "养老保险待遇发放信息",
        "201",
        "monthly",
        ("id_number", "period"),
        ("id_number", "period", "amount"),
    ),
    DemoEntry(
        "rs",
        "就业登记信息",
        "201",
        "weekly",
        ("id_number",),
        ("id_number", "person_name", "uscc", "decided_on"),
    ),
    DemoEntry(
        "rs",
        "失业登记信息",
        "201",
        "weekly",
        ("id_number",),
        ("id_number", "person_name", "decided_on", "health_record"),
    ),
    DemoEntry(
        "rs",
        "职业资格证书信息",
        "104",
        "monthly",
        ("certificate_number",),
        ("certificate_number", "id_number", "person_name", "valid_until"),
        "submitted",
    ),
    DemoEntry(
        "rs",
        "劳动保障监察信息",
        "206",
        "irregular",
        ("document_number",),
        ("document_number", "uscc", "reason", "decided_on"),
    ),
    DemoEntry(
        "ga",
        "户籍人口基本信息",
        "101",
        "daily",
        ("id_number",),
        ("id_number", "person_name", "household_address", "religion"),
    ),
    DemoEntry(
        "ga",
        "居住证信息",
        "101",
        "daily",
        ("certificate_number",),
        ("certificate_number", "id_number", "person_name", "address", "valid_until"),
    ),
    DemoEntry(
        "ga",
        "机动车登记信息",
        "204",
        "daily",
        ("plate_number",),
        ("plate_number", "id_number", "uscc", "decided_on"),
    ),
    DemoEntry(
        "ga",
        "驾驶人信息",
        "204",
        "daily",
        ("id_number",),
        ("id_number", "person_name", "valid_until", "status"),
    ),
    DemoEntry(
        "ga",
        "出入境证件信息",
        "104",
        "daily",
        ("certificate_number",),
        ("certificate_number", "id_number", "person_name", "valid_until"),
        not_shared_basis="《中华人民共和国出境入境管理法》第八十五条；《中华人民共和国个人信息保护法》第三十四条",
    ),
    DemoEntry(
        "ga",
        "人口死亡信息",
        "101",
        "daily",
        ("id_number",),
        ("id_number", "person_name", "decided_on"),
        "submitted",
    ),
    DemoEntry(
        "mz",
        "婚姻登记信息",
        "205",
        "daily",
        ("document_number",),
        ("document_number", "id_number", "person_name", "decided_on"),
    ),
    DemoEntry(
        "mz",
        "最低生活保障信息",
        "205",
        "monthly",
        ("id_number",),
        ("id_number", "person_name", "amount", "health_record"),
    ),
    DemoEntry(
        "mz",
        "社会组织登记信息",
        "102",
        "weekly",
        ("uscc",),
        ("uscc", "org_name", "legal_representative", "address"),
    ),
    DemoEntry(
        "mz",
        "殡葬服务信息",
        "205",
        "monthly",
        ("document_number",),
        ("document_number", "id_number", "decided_on"),
    ),
    DemoEntry(
        "mz",
        "特困人员供养信息",
        "205",
        "monthly",
        ("id_number",),
        ("id_number", "person_name", "amount"),
    ),
    DemoEntry(
        "mz",
        "养老机构信息",
        "205",
        "quarterly",
        ("uscc",),
        ("uscc", "org_name", "address", "bed_count"),
        "draft",
    ),
)
# Checked on every load: the identifiers' check characters, phone numbers, no dates in the future.
FORMATS = {
    "uscc": "uscc",
    "id_number": "resident_id",
    "phone": "phone",
    "established_on": "not_future",
    "decided_on": "not_future",
}
AUTHORITIES = {
    "uscc": ("统一社会信用代码", "scjg"),
    "enterprise_name": ("企业名称", "scjg"),
    "id_number": ("公民身份号码", "ga"),
    "person_name": ("姓名", "ga"),
}


def _draft(spec: DemoEntry, owner: str) -> EntryDraft:
    items = []
    for name in spec.items:
        label, data_type, length, precision, share_type, element = ITEMS[name]
        if spec.not_shared_basis:
            share_type = "not_shared"
        authority = AUTHORITIES.get(element or "")
        items.append(
            ItemDraft(
                name=name,
                label=label,
                data_type=data_type,
                length=length,
                precision=precision,
                required=name in spec.keys,
                is_key=name in spec.keys,
                share_type=share_type,
                share_condition="用于法定职责范围内的业务办理，需说明用途"
                if share_type == "conditional"
                else None,
                legal_basis=(spec.not_shared_basis or PERSONAL_INFO_LAW)
                if share_type == "not_shared"
                else None,
                sensitivity="sensitive"
                if name in ("id_number", "religion", "health_record")
                else "internal",
                element=element,
                duplicate_justification=(
                    "业务办理时由申请人提交，需留存原始申报值"
                    if authority and authority[1] != owner
                    else None
                ),
                description=f"{label}（{spec.name}）",
                value_format=FORMATS.get(name),
            )
        )
    return EntryDraft(
        name=spec.name,
        classification_code=spec.classification,
        abstract=f"{spec.name}，由本部门业务系统产生，供各部门依职责共享使用。",
        update_cycle=spec.cycle,
        timeliness="T+1" if spec.cycle in ("daily", "realtime") else None,
        items=items,
    )


def seed_catalog(session: Session, *, env: WorkflowEnvironment) -> int:
    """Register the demo catalog once; returns how many entries were added."""
    ensure_default_classification(session)
    if session.scalar(select(Resource.id).limit(1)) is not None:
        return 0

    def actor(username: str) -> Principal:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise LookupError(f"seed the demo users first: {username} is missing")
        return principal_for(user)

    bureau = actor("dsj.bureau_admin")
    for element, (label, owner) in AUTHORITIES.items():
        governance.set_authoritative_source(
            session,
            actor=bureau,
            now=env.now,
            element=element,
            label=label,
            department_code=actor(f"{owner}.consumer").department_code or "",
        )
    for spec in DEMO_ENTRIES:
        registrar = actor(f"{spec.department}.catalog_registrar")
        code = entries.create_entry(
            session, actor=registrar, now=env.now, draft=_draft(spec, spec.department)
        ).resource.code
        if spec.state == "draft":
            continue
        lifecycle.submit(session, actor=registrar, env=env, code=code)
        if spec.state == "published":
            lifecycle.approve(
                session, actor=actor(f"{spec.department}.catalog_reviewer"), env=env, code=code
            )
    return len(DEMO_ENTRIES)


def large_catalog(size: int, tag: str = "") -> bytes:
    """The first demonstration entry again and again under new names, with long abstracts, until
    the spreadsheet template (CSV) reaches ``size`` bytes in under 10,000 rows: a large catalog
    file for import tests and benchmarks."""
    from catalog.spreadsheet import entry_rows, write_csv

    first = _draft(DEMO_ENTRIES[0], DEMO_ENTRIES[0].department)
    rows: list[list[str]] = []
    written = serial = 0
    while written < size:
        serial += 1
        draft = first.model_copy(
            update={"name": f"{first.name}{tag}{serial}", "abstract": "说明" * 1500}
        )
        more = list(entry_rows(None, draft))
        rows.extend(more)
        written += sum(len(",".join(row).encode()) + 2 for row in more)
    return write_csv(rows)
