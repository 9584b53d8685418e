"""R6: entries are complete, logically consistent and consistently named.

Every problem names the field and the rule, in English and Chinese. ``completeness`` scores how
much of the recommended metadata an entry carries.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from catalog import masking
from catalog.schemas import EntryDraft, ItemDraft
from catalog.vocab import ResourceFormat, Sensitivity, ShareType, ValueFormat
from exchange.errors import InvalidInput
from exchange.i18n import Message

ITEM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FORBIDDEN_IN_NAMES = re.compile(r"[\s/\\<>|\"']")
STRUCTURED = {ResourceFormat.DATABASE, ResourceFormat.SPREADSHEET}


@dataclass(frozen=True)
class Problem:
    field: str
    rule: str
    message: str
    message_zh: str

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
            "message_zh": self.message_zh,
        }


@dataclass(frozen=True)
class Context:
    """What validation needs to know beyond the entry itself."""

    classification_exists: Callable[[str], bool]
    resource_code_exists: Callable[[str], bool]
    authoritative_department: Callable[[str], int | None]
    provider_department_id: int
    own_code: str | None = None


def validate_entry(entry: EntryDraft, context: Context) -> list[Problem]:
    return [*_entry_problems(entry, context), *_items_problems(entry, context)]


def raise_if_invalid(entry: EntryDraft, context: Context) -> None:
    problems = validate_entry(entry, context)
    if problems:
        raise InvalidInput(
            "the entry has {problems_count} problem(s); nothing was saved",
            detail=[p.as_dict() for p in problems],
            error_code="catalog_invalid",
            problems_count=len(problems),
        )


def derived_share_type(items: list[ItemDraft]) -> ShareType:
    """R3: not shared if no item is shared, conditional if any item is restricted, else unconditional."""
    types = {item.share_type for item in items}
    if not types or types == {ShareType.NOT_SHARED}:
        return ShareType.NOT_SHARED
    if types & {ShareType.CONDITIONAL, ShareType.NOT_SHARED}:
        return ShareType.CONDITIONAL
    return ShareType.UNCONDITIONAL


def _entry_problems(entry: EntryDraft, context: Context) -> Iterator[Problem]:
    name = entry.name
    if not 2 <= len(name) <= 50:
        yield Problem(
            "name", "R6.name.length", "the name has 2 to 50 characters", "资源名称应为2至50个字符"
        )
    if FORBIDDEN_IN_NAMES.search(name):
        yield Problem(
            "name",
            "R6.name.characters",
            "the name has no spaces, quotes or / \\ < > |",
            "资源名称不得包含空格、引号及 / \\ < > | 等字符",
        )
    if not entry.abstract.strip():
        yield Problem("abstract", "R2.required", "the abstract is required", "资源摘要为必填项")
    if not context.classification_exists(entry.classification_code):
        yield Problem(
            "classification_code",
            "R2.classification",
            f"classification {entry.classification_code!r} does not exist",
            f"资源分类 {entry.classification_code} 不存在",
        )
    if not entry.items:
        yield Problem(
            "items", "R2.required", "an entry has at least one data item", "至少应有一个信息项"
        )
    if entry.open_to_public and any(i.share_type == ShareType.NOT_SHARED for i in entry.items):
        yield Problem(
            "open_to_public",
            "R6.consistency.open_not_shared",
            "an entry open to the public cannot have not-shared items",
            "含不予共享信息项的资源不能向社会开放",
        )
    if entry.open_to_public and any(i.sensitivity == Sensitivity.SENSITIVE for i in entry.items):
        yield Problem(
            "open_to_public",
            "R6.consistency.open_sensitive",
            "an entry open to the public cannot have sensitive items",
            "含敏感信息项的资源不能向社会开放",
        )
    if entry.format in STRUCTURED and entry.items and not any(i.is_key for i in entry.items):
        yield Problem(
            "items",
            "R6.consistency.key",
            "a structured entry names at least one key item",
            "结构化资源应至少指定一个主键信息项",
        )
    for index, code in enumerate(entry.related_codes):
        if code == context.own_code or not context.resource_code_exists(code):
            yield Problem(
                f"related_codes[{index}]",
                "R2.related",
                f"{code} is not another catalog resource",
                f"关联资源代码 {code} 不存在",
            )


def _items_problems(entry: EntryDraft, context: Context) -> Iterator[Problem]:
    seen_names: set[str] = set()
    seen_labels: set[str] = set()
    for index, item in enumerate(entry.items):
        where = f"items[{index}]"
        if not ITEM_NAME.match(item.name):
            yield Problem(
                f"{where}.name",
                "R6.item.name",
                f"{item.name!r}: lower-case letters, digits and _, starting with a letter",
                f"信息项标识 {item.name} 应由小写字母、数字和下划线组成，并以字母开头",
            )
        if item.name in seen_names:
            yield Problem(
                f"{where}.name",
                "R6.item.unique",
                f"{item.name} appears twice",
                f"信息项标识 {item.name} 重复",
            )
        seen_names.add(item.name)
        label = item.label.strip()
        if not label or len(label) > 50:
            yield Problem(
                f"{where}.label",
                "R6.item.label",
                "the Chinese name has 1 to 50 characters",
                "信息项名称应为1至50个字符",
            )
        elif label in seen_labels:
            yield Problem(
                f"{where}.label",
                "R6.item.unique",
                f"{label} appears twice",
                f"信息项名称 {label} 重复",
            )
        seen_labels.add(label)
        yield from _item_type_problems(item, where)
        yield from _item_share_problems(item, where, context)


def _item_type_problems(item: ItemDraft, where: str) -> Iterator[Problem]:
    if item.data_type == "string" and item.length is None:
        yield Problem(
            f"{where}.length",
            "R6.item.length",
            "a string item states its length",
            "字符型信息项应填写长度",
        )
    if item.data_type == "decimal":
        if item.length is None or item.precision is None:
            yield Problem(
                f"{where}.precision",
                "R6.item.precision",
                "a decimal item states length and precision",
                "数值型信息项应填写长度和精度",
            )
        elif item.precision > item.length:
            yield Problem(
                f"{where}.precision",
                "R6.item.precision",
                "precision cannot exceed length",
                "精度不能大于长度",
            )
    elif item.precision is not None:
        yield Problem(
            f"{where}.precision",
            "R6.item.precision",
            "only decimal items have a precision",
            "仅数值型信息项有精度",
        )
    if item.is_key and not item.required:
        yield Problem(
            f"{where}.required", "R6.item.key", "a key item is required", "主键信息项应为必填"
        )
    if item.value_format is not None:
        dated = item.value_format == ValueFormat.NOT_FUTURE
        if dated != (item.data_type in ("date", "datetime")) or (
            not dated and item.data_type != "string"
        ):
            yield Problem(
                f"{where}.value_format",
                "R6.item.format",
                "not_future suits date items, the other formats string items",
                "“不晚于当日”适用于日期型信息项，其他格式适用于字符型信息项",
            )
    if item.masking:
        try:
            masking.rule_for(item.data_type, item.masking)
        except masking.BadRule as bad:
            yield Problem(
                f"{where}.masking",
                "R14.item.masking",
                bad.message.in_language("en"),
                bad.message.in_language("zh"),
            )
    if item.allowed_values is not None and not [v for v in item.allowed_values if v.strip()]:
        yield Problem(
            f"{where}.allowed_values",
            "R6.item.allowed_values",
            "a value set lists at least one value",
            "值域至少列出一个值",
        )


def _item_share_problems(item: ItemDraft, where: str, context: Context) -> Iterator[Problem]:
    if item.share_type == ShareType.CONDITIONAL and not (item.share_condition or "").strip():
        yield Problem(
            f"{where}.share_condition",
            "R3.conditional.condition",
            "a conditional item states its share condition",
            "有条件共享的信息项应注明共享条件",
        )
    if item.share_type == ShareType.NOT_SHARED and not (item.legal_basis or "").strip():
        yield Problem(
            f"{where}.legal_basis",
            "R3.not_shared.legal_basis",
            "a not-shared item cites the law or regulation that forbids sharing",
            "不予共享的信息项应注明法律、行政法规依据",
        )
    if item.sensitivity == Sensitivity.SENSITIVE and item.share_type == ShareType.UNCONDITIONAL:
        yield Problem(
            f"{where}.share_type",
            "R3.sensitive",
            "a sensitive item cannot be shared unconditionally",
            "敏感信息项不能无条件共享",
        )
    if item.element:
        authority = context.authoritative_department(item.element)
        if (
            authority is not None
            and authority != context.provider_department_id
            and not (item.duplicate_justification or "").strip()
        ):
            yield Problem(
                f"{where}.duplicate_justification",
                "R8.duplicate_collection",
                f"another department is the authoritative source of {item.element}; obtain it by sharing "
                "or justify collecting it again",
                f"{item.element} 已有权威来源部门，应通过共享获取，重复采集须说明理由",
            )


@dataclass(frozen=True)
class Gap:
    """Recommended metadata an entry lacks: the field, and what to fill in."""

    field: str
    message: Message


def completeness_checks(entry: EntryDraft) -> list[tuple[str, Message, bool]]:
    """Each recommended piece of metadata as (field, what to fill in, whether it is there)."""
    checks = [
        ("abstract", Message("an abstract of at least 20 characters"),
         bool(entry.abstract.strip()) and len(entry.abstract) >= 20),
        ("timeliness", Message("the timeliness of the data"), bool(entry.timeliness)),
        ("related_codes", Message("the codes of related resources"), bool(entry.related_codes)),
        ("open_condition", Message("the condition for opening the data to the public"),
         entry.open_condition is not None or not entry.open_to_public),
        ("share_condition", Message("the sharing condition"),
         bool(entry.share_condition)
         or derived_share_type(entry.items) == ShareType.UNCONDITIONAL),
    ]  # fmt: skip
    for index, item in enumerate(entry.items):
        where = f"items[{index}]"
        checks += [
            (f"{where}.description", Message("a description of the data item"), bool(item.description)),
            (f"{where}.length", Message("the length of the text item"),
             item.length is not None or item.data_type != "string"),
            (f"{where}.element", Message("the data element the item stands for"), item.element is not None),
        ]  # fmt: skip
    return checks


def completeness_gaps(entry: EntryDraft) -> list[Gap]:
    """What to fill in for a higher completeness score."""
    return [
        Gap(field, message) for field, message, there in completeness_checks(entry) if not there
    ]


def completeness(entry: EntryDraft) -> float:
    """Share of recommended metadata filled in, from 0 to 1."""
    checks = completeness_checks(entry)
    return round(sum(there for _, _, there in checks) / len(checks), 3)
