"""Every table of the platform, imported in one place so Alembic and tests see the whole schema."""

from catalog.models import (
    AuthoritativeSource,
    CatalogUpdateTask,
    Classification,
    DataItem,
    Resource,
    ResourceVersion,
    SearchEntry,
    SearchSynonyms,
    StatutorySharing,
)
from cloud.models import (
    ApplicationLine,
    CloudApplication,
    CloudChange,
    CloudIncident,
    CloudProvider,
    ProviderService,
    WorkOrder,
)
from collection.models import IngestRun, RejectedRow, Source
from exchange.audit.models import AuditChainHead, AuditRecord, RefusalCount
from exchange.background_work import BackgroundWork
from exchange.data_status import DataStatus
from exchange.db import Base
from exchange.deadlines.models import Deadline
from exchange.identity.models import (
    ApiToken,
    Department,
    RoleTerm,
    SignInThrottle,
    User,
    UserRole,
)
from exchange.notifications.models import Notification, OutboxEmail
from exchange.workdays.models import CalendarDay, CalendarYear
from exchange.workflow.models import WorkflowEvent
from exchange.worklist.models import Task
from policies.models import AccessRequest, DataUsage, Dispute, Grant, Suspension, UseReport
from projects.models import (
    AnnualPlan,
    Expert,
    ExpertOpinion,
    FundingFlag,
    Project,
    ProjectChange,
    ProjectDocument,
    SharingCheck,
    SharingLine,
)
from quality.models import (
    Comparison,
    ComparisonRun,
    QualityIssue,
    StewardExpectation,
    ValidationRun,
)
from supervision.models import Scorecard, UsageStatement, Violation, ViolationDecision

__all__ = [
    "AccessRequest",
    "AnnualPlan",
    "ApiToken",
    "ApplicationLine",
    "AuditChainHead",
    "AuditRecord",
    "AuthoritativeSource",
    "BackgroundWork",
    "Base",
    "CalendarDay",
    "CalendarYear",
    "CatalogUpdateTask",
    "Classification",
    "CloudApplication",
    "CloudChange",
    "CloudIncident",
    "CloudProvider",
    "Comparison",
    "ComparisonRun",
    "DataItem",
    "DataStatus",
    "DataUsage",
    "Deadline",
    "Department",
    "Dispute",
    "Expert",
    "ExpertOpinion",
    "FundingFlag",
    "Grant",
    "IngestRun",
    "Notification",
    "OutboxEmail",
    "Project",
    "ProjectChange",
    "ProjectDocument",
    "ProviderService",
    "QualityIssue",
    "RefusalCount",
    "RejectedRow",
    "Resource",
    "ResourceVersion",
    "RoleTerm",
    "Scorecard",
    "SearchEntry",
    "SearchSynonyms",
    "SharingCheck",
    "SharingLine",
    "SignInThrottle",
    "Source",
    "StatutorySharing",
    "StewardExpectation",
    "Suspension",
    "Task",
    "UsageStatement",
    "UseReport",
    "User",
    "UserRole",
    "ValidationRun",
    "Violation",
    "ViolationDecision",
    "WorkOrder",
    "WorkflowEvent",
]
