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


class DepartmentKind(StrEnum):
    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    ENTERPRISE = "enterprise"
    SOCIAL_ORGANISATION = "social_organisation"
