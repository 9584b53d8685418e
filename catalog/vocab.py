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


# Each vocabulary has labels of its own: three of them share codes (``database``, ``api``,
# ``file``) with different Chinese names (数据库 as a format, 接口 as a share mode, 接口对接 as a
# provision method), so a label is looked up by vocabulary and code, never by code alone.
LABELS: dict[type[StrEnum], dict[str, str]] = {
    ShareType: {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"},
    UpdateCycle: {
        "realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月",
        "quarterly": "每季度", "half_yearly": "每半年", "yearly": "每年", "irregular": "不定期",
    },
    ShareMode: {"api": "接口", "file": "文件", "database": "数据库", "subscription": "订阅"},
    ResourceFormat: {
        "database": "数据库", "spreadsheet": "电子表格", "document": "电子文件",
        "image": "图形图像", "stream": "流媒体", "self_describing": "自描述格式",
    },
    DataType: {
        "string": "字符型", "integer": "整数型", "decimal": "数值型", "date": "日期型",
        "datetime": "日期时间型", "boolean": "布尔型",
    },
    ValueFormat: {
        "uscc": "统一社会信用代码", "resident_id": "居民身份证号", "mobile": "手机号码",
        "phone": "电话号码", "postal_code": "邮政编码", "email": "电子邮箱",
        "not_future": "不晚于当日",
    },
    Sensitivity: {"public": "公开", "internal": "内部", "sensitive": "敏感"},
    ShareScope: {"city": "全市", "district": "区级", "specified": "指定部门"},
    ProvisionMethod: {"database": "数据库对接", "api": "接口对接", "file": "文件交换"},
    ResourceStatus: {
        "draft": "草稿", "in_review": "待审核", "published": "已发布", "retired": "已停用",
    },
}  # fmt: skip
# The other words departments write for the same term (每天 for 每日, 字符串 for 字符型, …),
# accepted on import beside the code and the label.
SYNONYMS: dict[type[StrEnum], dict[str, tuple[str, ...]]] = {
    ShareType: {
        "unconditional": ("无条件",), "conditional": ("有条件",),
        "not_shared": ("不共享", "不予共享类"),
    },
    UpdateCycle: {
        "realtime": ("实时更新",), "daily": ("每天", "日", "按日", "每日更新"),
        "weekly": ("每星期", "按周", "周"), "monthly": ("每个月", "按月", "月"),
        "quarterly": ("每季", "按季度", "季度"), "half_yearly": ("半年", "每半年度"),
        "yearly": ("每年度", "按年", "年度", "年"), "irregular": ("不定时", "不定期更新"),
    },
    ShareMode: {
        "api": ("接口方式", "服务接口", "接口共享"), "file": ("文件下载", "文件方式"),
        "database": ("库表", "数据库方式"), "subscription": ("订阅方式",),
    },
    ResourceFormat: {
        "database": ("数据库类", "库表"), "spreadsheet": ("电子表格类", "表格"),
        "document": ("电子文件类", "文档"), "image": ("图形图像类", "图片"),
        "stream": ("流媒体类",), "self_describing": ("自描述格式类",),
    },
    DataType: {
        "string": ("字符", "字符串", "文本", "字符串型"), "integer": ("整数", "整型"),
        "decimal": ("数值", "小数", "浮点型", "数字"), "date": ("日期",),
        "datetime": ("日期时间", "时间"), "boolean": ("布尔", "逻辑型"),
    },
    Sensitivity: {"sensitive": ("涉敏",), "internal": ("内部使用",)},
    ShareScope: {"city": ("全市范围", "市级"), "district": ("区县", "区县级")},
    ProvisionMethod: {
        "database": ("数据库", "库表对接"), "api": ("接口", "API"), "file": ("文件", "文件交换方式"),
    },
}  # fmt: skip


def label_zh(member: StrEnum) -> str:
    """The Chinese name of a vocabulary term, from its own vocabulary."""
    return LABELS.get(type(member), {}).get(member.value, member.value)


# For pages that show terms of vocabularies whose codes no other vocabulary uses.
LABELS_ZH: dict[str, str] = {
    code: label
    for kind, labels in LABELS.items()
    if kind not in (ShareMode, ResourceFormat, ProvisionMethod)
    for code, label in labels.items()
}


E = TypeVar("E", bound=StrEnum)


def parse_term(kind: type[E], text: str) -> E:
    """A vocabulary value from its code (``conditional``), its Chinese label (``有条件共享``) or
    a common other wording of it (``有条件``)."""
    cleaned = "".join(text.split()).lower()
    synonyms = SYNONYMS.get(kind, {})
    for member in kind:
        if cleaned in (member.value, label_zh(member)) or cleaned in (
            word.lower() for word in synonyms.get(member.value, ())
        ):
            return member
    allowed = ", ".join(f"{m.value} ({label_zh(m)})" for m in kind)
    raise ValueError(f"{cleaned!r} is not one of: {allowed}")
