"""The actors of RULES.md, as roles a user holds within their department."""

from enum import StrEnum


class Role(StrEnum):
    BUREAU_ADMIN = "bureau_admin"
    CATALOG_REGISTRAR = "catalog_registrar"
    CATALOG_REVIEWER = "catalog_reviewer"
    DATA_RESOURCE_ADMIN = "data_resource_admin"
    DATA_REVIEWER = "data_reviewer"
    CONSUMER = "consumer"
    DATA_STEWARD = "data_steward"
    COORDINATING_OFFICE = "coordinating_office"
    AUDITOR = "auditor"


ROLE_LABELS_ZH = {
    Role.BUREAU_ADMIN: "数据管理部门管理员",
    Role.CATALOG_REGISTRAR: "目录登记人员",
    Role.CATALOG_REVIEWER: "目录审核人员",
    Role.DATA_RESOURCE_ADMIN: "数据资源管理员",
    Role.DATA_REVIEWER: "数据审核人员",
    Role.CONSUMER: "数据使用人员",
    Role.DATA_STEWARD: "数据质量管理员",
    Role.COORDINATING_OFFICE: "协调办公室",
    Role.AUDITOR: "审计人员",
}


class DepartmentKind(StrEnum):
    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    ENTERPRISE = "enterprise"
    SOCIAL_ORGANISATION = "social_organisation"
