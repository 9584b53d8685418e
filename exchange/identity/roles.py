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
    # Information-system projects (R24-R28): the unit's staff who apply and file, the bureau's
    # project reviewers, experts of its library, and the development-and-reform and finance offices.
    PROJECT_OFFICER = "project_officer"
    PROJECT_REVIEWER = "project_reviewer"
    EXPERT = "expert"
    REFORM_OFFICE = "reform_office"
    FINANCE_OFFICE = "finance_office"
    # The government cloud (R29-R33): the bureau's cloud staff review applications and send work
    # orders; a contracted provider's staff see only the work orders addressed to them.
    CLOUD_REVIEWER = "cloud_reviewer"
    CLOUD_PROVIDER = "cloud_provider"
    # The three separated administrators of MLPS level 3 (三员分立, R21): the system administrator
    # keeps departments and accounts, the security administrator grants roles and resets second
    # factors, and the auditor (above) reads and verifies the audit log, theirs included.
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"


# No person holds two of these (R21): each checks the others.
SEPARATED_ADMINISTRATORS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
# Roles only the security administrator grants or takes away: the platform's privileges.
PRIVILEGED = SEPARATED_ADMINISTRATORS | {Role.BUREAU_ADMIN}


class DepartmentKind(StrEnum):
    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    ENTERPRISE = "enterprise"
    SOCIAL_ORGANISATION = "social_organisation"
