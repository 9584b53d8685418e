"""Controlled vocabularies of the catalog (政务信息资源目录编制指南, 2017), with Chinese labels."""

from enum import StrEnum
from typing import TypeVar


class ShareType(StrEnum):
    """R3. Ordered from most to least open; an entry's type is its least open item's."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NOT_SHARED = "not_shared"


SHARE_TYPE_ORDER = [ShareType.UNCONDITIONAL, ShareType.CONDITIONAL, ShareType.NOT_SHARED]


class UpdateCycle(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


class ShareMode(StrEnum):
    API = "api"
    FILE = "file"
    DATABASE = "database"
    SUBSCRIPTION = "subscription"


class ResourceFormat(StrEnum):
    DATABASE = "database"
    SPREADSHEET = "spreadsheet"
    DOCUMENT = "document"
    IMAGE = "image"
    STREAM = "stream"
    SELF_DESCRIBING = "self_describing"


class DataType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


class ValueFormat(StrEnum):
    """A format the values of an item must have, checked on every load (R19)."""

    USCC = "uscc"  # 统一社会信用代码, GB 32100 with its check character
    RESIDENT_ID = "resident_id"  # 居民身份证号, GB 11643 with its check digit
    MOBILE = "mobile"
    PHONE = "phone"  # a mobile or a landline number
    POSTAL_CODE = "postal_code"
    EMAIL = "email"
    NOT_FUTURE = "not_future"  # a date or time not after the day of the check


class Sensitivity(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    SENSITIVE = "sensitive"


class ShareScope(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    SPECIFIED = "specified"


class ProvisionMethod(StrEnum):
    DATABASE = "database"
    API = "api"
    FILE = "file"


class ResourceStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


class VersionState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


LABELS_ZH: dict[str, str] = {
    ShareType.UNCONDITIONAL: "无条件共享",
    ShareType.CONDITIONAL: "有条件共享",
    ShareType.NOT_SHARED: "不予共享",
    UpdateCycle.REALTIME: "实时",
    UpdateCycle.DAILY: "每日",
    UpdateCycle.WEEKLY: "每周",
    UpdateCycle.MONTHLY: "每月",
    UpdateCycle.QUARTERLY: "每季度",
    UpdateCycle.HALF_YEARLY: "每半年",
    UpdateCycle.YEARLY: "每年",
    UpdateCycle.IRREGULAR: "不定期",
    ShareMode.API: "接口",
    ShareMode.FILE: "文件",
    ShareMode.DATABASE: "数据库",
    ShareMode.SUBSCRIPTION: "订阅",
    ResourceFormat.DATABASE: "数据库",
    ResourceFormat.SPREADSHEET: "电子表格",
    ResourceFormat.DOCUMENT: "电子文件",
    ResourceFormat.IMAGE: "图形图像",
    ResourceFormat.STREAM: "流媒体",
    ResourceFormat.SELF_DESCRIBING: "自描述格式",
    DataType.STRING: "字符型",
    DataType.INTEGER: "整数型",
    DataType.DECIMAL: "数值型",
    DataType.DATE: "日期型",
    DataType.DATETIME: "日期时间型",
    DataType.BOOLEAN: "布尔型",
    ValueFormat.USCC: "统一社会信用代码",
    ValueFormat.RESIDENT_ID: "居民身份证号",
    ValueFormat.MOBILE: "手机号码",
    ValueFormat.PHONE: "电话号码",
    ValueFormat.POSTAL_CODE: "邮政编码",
    ValueFormat.EMAIL: "电子邮箱",
    ValueFormat.NOT_FUTURE: "不晚于当日",
    Sensitivity.PUBLIC: "公开",
    Sensitivity.INTERNAL: "内部",
    Sensitivity.SENSITIVE: "敏感",
    ShareScope.CITY: "全市",
    ShareScope.DISTRICT: "区级",
    ShareScope.SPECIFIED: "指定部门",
    ProvisionMethod.DATABASE: "数据库对接",
    ProvisionMethod.API: "接口对接",
    ProvisionMethod.FILE: "文件交换",
    ResourceStatus.DRAFT: "草稿",
    ResourceStatus.IN_REVIEW: "待审核",
    ResourceStatus.PUBLISHED: "已发布",
    ResourceStatus.RETIRED: "已停用",
}


E = TypeVar("E", bound=StrEnum)


def parse_term(kind: type[E], text: str) -> E:
    """A vocabulary value from its code (``conditional``) or its Chinese label (``有条件共享``)."""
    cleaned = text.strip()
    for member in kind:
        if cleaned in (member.value, LABELS_ZH.get(member)):
            return member
    allowed = ", ".join(f"{m.value} ({LABELS_ZH.get(m, m.value)})" for m in kind)
    raise ValueError(f"{cleaned!r} is not one of: {allowed}")
