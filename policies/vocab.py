"""Controlled lists of access requests (R14), with Chinese labels."""

from enum import StrEnum


class Purpose(StrEnum):
    ADMINISTRATIVE_APPROVAL = "administrative_approval"
    SUPERVISION = "supervision"
    PUBLIC_SERVICE = "public_service"
    LAW_ENFORCEMENT = "law_enforcement"
    SOCIAL_SECURITY = "social_security"
    STATISTICS = "statistics"
    OTHER = "other"


class SharingMode(StrEnum):
    API_QUERY = "api_query"
    BULK_DOWNLOAD = "bulk_download"
    SUBSCRIPTION = "subscription"


class ItemAccess(StrEnum):
    """How a granted item may be used (R3 "in specific ways"), from most to least open."""

    READ = "read"
    MASKED = "masked"  # read through the item's masking rule
    VERIFY = "verify"  # claims checked against it; no value ever returned


ACCESS_ORDER = (ItemAccess.READ, ItemAccess.MASKED, ItemAccess.VERIFY)


def access_of(item_access: dict[str, str] | None, item: str) -> ItemAccess:
    """An item's access in a request or grant; absent means read whole."""
    return ItemAccess((item_access or {}).get(item, ItemAccess.READ))


class RejectReason(StrEnum):
    NO_LEGAL_BASIS = "no_legal_basis"
    PURPOSE_MISMATCH = "purpose_mismatch"
    ITEMS_EXCESSIVE = "items_excessive"
    SECURITY = "security"
    DATA_UNAVAILABLE = "data_unavailable"
    OTHER = "other"


class RequestState(StrEnum):
    NEW = "new"
    SUBMITTED = "submitted"
    AWAITING_INFO = "awaiting_info"
    CONFIDENTIALITY_REVIEW = "confidentiality_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


LABELS_ZH = {
    Purpose.ADMINISTRATIVE_APPROVAL: "行政审批",
    Purpose.SUPERVISION: "监督检查",
    Purpose.PUBLIC_SERVICE: "公共服务",
    Purpose.LAW_ENFORCEMENT: "执法办案",
    Purpose.SOCIAL_SECURITY: "社会保障",
    Purpose.STATISTICS: "统计分析",
    Purpose.OTHER: "其他",
    SharingMode.API_QUERY: "接口查询",
    SharingMode.BULK_DOWNLOAD: "批量下载",
    SharingMode.SUBSCRIPTION: "订阅",
    ItemAccess.READ: "原文读取",
    ItemAccess.MASKED: "脱敏读取",
    ItemAccess.VERIFY: "仅核验",
    RejectReason.NO_LEGAL_BASIS: "无法定依据",
    RejectReason.PURPOSE_MISMATCH: "用途与职责不符",
    RejectReason.ITEMS_EXCESSIVE: "申请信息项超出必要范围",
    RejectReason.SECURITY: "安全保密原因",
    RejectReason.DATA_UNAVAILABLE: "数据暂不具备共享条件",
    RejectReason.OTHER: "其他",
}
