"""Settings, read from environment variables prefixed ``EXCHANGE_`` (e.g. ``EXCHANGE_DATABASE_URL``)."""

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from exchange.jurisdictions import with_profile
from exchange.workdays.spans import Span, TimeUnit


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")

    production: bool = Field(
        False,
        description="Refuse to start on the embedded defaults (SQLite, a generated secret key, "
        "missing or well-known passwords); see exchange.deployment_check.",
    )
    data_dir: Path = Field(Path("var"), description="Folder for the SQLite file and the warehouse.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the platform database; default a SQLite file."
    )
    warehouse_path: Path | None = Field(None, description="Iceberg warehouse folder.")
    warehouse_uri: str | None = Field(
        None, description="Warehouse in object storage instead, e.g. s3://exchange-warehouse/tables"
    )
    s3_endpoint: str | None = Field(
        None, description="S3-compatible endpoint, e.g. http://minio:9000"
    )
    require_tls: bool = Field(
        False,
        description="R21: the database and object-storage connections must use TLS "
        "(sslmode=require or stricter in EXCHANGE_DATABASE_URL, an https S3 endpoint); "
        "checked by exchange check-config.",
    )
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str = "us-east-1"
    drop_root: Path | None = Field(
        None,
        description="Folder of the departments' drop folders: a department's file and SQLite "
        "sources read only under <drop root>/<department code>/. Default <data dir>/drop.",
    )
    source_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts database and HTTP sources may reach, comma-separated: names, addresses "
        "or networks (10.20.0.0/16), each with an optional :port. Loopback and link-local "
        "addresses are reached only when listed as addresses; the platform's own services never.",
    )
    secret_key: str | None = Field(
        None,
        description="Fernet key encrypting source credentials; default a key file in the data folder.",
    )
    warehouse_key_file: Path | None = Field(
        None,
        description="Root keys wrapping the keys of sensitive items' data files (R21); default "
        "<data dir>/warehouse-keys.json. Keep it out of backups: they stay encrypted without it.",
    )
    heartbeat_seconds: int = Field(
        30, ge=1, description="How often running work (an ingest run) shows it is alive."
    )
    stale_work_minutes: int = Field(
        10,
        ge=1,
        description="Running work with no sign of life for this long is taken for dead and "
        "marked abandoned (work on this host is known dead at once).",
    )
    snapshot_retention_days: int = Field(
        90,
        ge=1,
        description="Snapshots older than this are expired by the upkeep DAG, unless a grant in "
        "force, a quality record, a comparison or a quarantine still points to them.",
    )
    orphan_file_hours: int = Field(
        24,
        ge=1,
        description="Data files no snapshot references are removed once older than this: longer "
        "than any run takes, so a run still writing keeps its files.",
    )
    bad_row_threshold: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Share of non-conforming rows above which an ingest run fails.",
    )
    timezone: str = Field("Asia/Shanghai", description="The city's time zone for working days.")

    # Deadline lengths (R34): a jurisdiction profile sets them all (exchange.jurisdictions), each
    # may be set on its own. Sharing deadlines in working days; the cloud's as spans (3wd, 24h,
    # 30d, 6mo).
    jurisdiction: str = Field(
        "default", description="R34: whose time limits apply: default, panjin or binzhou."
    )
    catalog_update_days: int = Field(3, ge=1, description="R7: provider updates the catalog.")
    access_review_days: int = Field(3, ge=1, description="R14: provider decides a request.")
    quality_feedback_days: int = Field(5, ge=1, description="R19: department answers an issue.")
    dispute_ruling_days: int = Field(5, ge=1, description="Coordinating office rules a dispute.")
    freshness_grace_days: int = Field(
        5, ge=1, description="R11: a warned department updates late data before its grants pause."
    )

    # The government cloud (R29-R33).
    cloud_acceptance: str = Field("3wd", description="R30: the bureau accepts or refuses.")
    cloud_approval: str = Field("2wd", description="R30: an accepted application's opinion.")
    cloud_work_order: str = Field("3wd", description="R30: the bureau sends the work order.")
    cloud_provisioning: str = Field("24h", description="R30: the provider opens the resources.")
    cloud_trial: str = Field("30d", description="R31: the trial period from opening.")
    cloud_trial_extension_limit: str = Field(
        "30d", description="R31: the longest extension of a major system's trial."
    )
    cloud_test_review: str = Field("2wd", description="R31: the bureau reviews the test report.")
    cloud_change_review: str = Field("2wd", description="R32: a change request is reviewed.")
    cloud_change_done: str = Field("24h", description="R32: the provider carries a change out.")
    cloud_exit_review: str = Field("5wd", description="R32: a termination is reviewed.")
    cloud_reclaim: str = Field("3wd", description="R32: the provider reclaims and wipes.")
    cloud_fallback: str = Field("3mo", description="R31: a migrated system's old environment.")
    cloud_mlps_assessment: str = Field("6mo", description="R31: MLPS assessment after go-live.")
    cloud_provider_transition: str = Field(
        "3mo", description="R32: the least transition a leaving provider gives."
    )
    cloud_idle_cpu_percent: float = Field(
        5, ge=0, le=100, description="R33: below this average CPU use a resource is idle."
    )
    cloud_overprovisioned_percent: float = Field(
        30, ge=0, le=100, description="R33: below this peak use a resource is over-provisioned."
    )
    cloud_target_percent: float = Field(
        70, gt=0, le=100, description="R33: the peak use a rightsized resource is sized for."
    )

    # Information-system projects (R24-R28).
    project_proposal_deadline: str = Field(
        "07-31", pattern=r"^\d{2}-\d{2}$",
        description="R24: month-day by which units propose next year's projects.",
    )  # fmt: skip
    project_completion_days: int = Field(
        5, ge=1, description="R25: working days a unit has to complete incomplete materials."
    )
    project_resubmit_block_months: int = Field(
        3, ge=1, description="R25: months a returned project may not be resubmitted."
    )
    project_initial_review_days: int = Field(
        15, ge=1, description="R26: working days of the bureau's initial review."
    )
    project_expert_review_days: int = Field(
        21, ge=1, description="R26: working days of the expert technical review."
    )
    project_tender_filing_days: int = Field(
        30, ge=1, description="R26: calendar days to file tender documents and contracts."
    )
    project_stable_running_months: int = Field(
        6, ge=0, description="R27: months of stable running before the final acceptance."
    )
    project_self_acceptance_limit_yuan: int = Field(
        1_000_000, ge=0, description="R27: projects of at most this investment accept themselves."
    )
    project_evaluation_months: int = Field(
        12, ge=1, description="R28: months after final acceptance to file the evaluation."
    )

    token_days: int = Field(90, ge=1, description="Default lifetime of a new API token.")
    sign_in_free_failures: int = Field(
        5, ge=1, description="Failed sign-ins per user name or address before attempts are slowed."
    )
    sign_in_backoff_seconds: int = Field(
        30, ge=1, description="Wait after the first failure past the free ones; doubles each time."
    )
    sign_in_max_backoff_seconds: int = Field(
        900,
        ge=1,
        description="Longest wait between sign-in attempts; failures are forgotten "
        "after twice this without one.",
    )
    second_factor_roles: list[str] = Field(
        ["bureau_admin", "system_admin", "security_admin", "auditor", "data_reviewer"],
        description="R21: roles whose holders must sign in with a second factor (TOTP); "
        "anyone else may enrol.",
    )
    second_factor_minutes: int = Field(
        5, ge=1, le=30, description="Time to give the second factor after the password."
    )
    password_max_age_days: int = Field(
        90,
        ge=0,
        description="R21: a password older than this must be changed at sign-in (0: never).",
    )
    password_history: int = Field(
        5, ge=1, le=24, description="R21: a new password may not be one of the last this many."
    )
    portal_idle_minutes: int = Field(
        30, ge=1, description="R21: a portal session ends after this long without use."
    )
    portal_session_hours: int = Field(
        12, ge=1, le=24 * 7, description="R21: a portal session ends this long after sign-in."
    )
    max_request_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Request body limit.")
    max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="Limit on a request's header lines, all together."
    )
    import_max_rows: int = Field(
        10_000, ge=1, description="Most rows one catalog spreadsheet import may have."
    )
    page_rows: int = Field(10_000, ge=1, description="Rows per page of the data API by default.")
    max_page_rows: int = Field(1_000_000, ge=1, description="Most rows one data API page returns.")
    verify_max_records: int = Field(
        10_000, ge=1, description="Most records one verification call checks (R14)."
    )
    verify_daily_quota: int = Field(
        10_000,
        ge=1,
        description="Records a day a verify grant checks unless its approval sets another quota.",
    )
    database_pool_size: int = Field(
        20,
        ge=1,
        description="Database connections each process keeps open (as many again may be "
        "opened at peaks). Below the API's concurrency, connections are opened and closed per request.",
    )
    read_cache_bytes: int = Field(
        512 * 1024 * 1024, ge=0, description="Memory for snapshots kept for the data API."
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="The address people and harvesters reach the platform at.",
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int | None = Field(
        None,
        ge=1,
        description="API worker processes on the one port; default the machine's cores on "
        "PostgreSQL, 1 on SQLite (changes reach other processes through PostgreSQL only).",
    )
    log_level: str = "INFO"

    smtp_host: str | None = Field(None, description="Set to deliver notifications by e-mail.")
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "exchange@localhost"

    @field_validator("source_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [entry.strip() for entry in value.split(",") if entry.strip()]
        return value

    @model_validator(mode="before")
    @classmethod
    def _jurisdiction(cls, values: Any) -> Any:
        return with_profile(values) if isinstance(values, dict) else values

    @field_validator(
        "cloud_acceptance", "cloud_approval", "cloud_work_order", "cloud_provisioning",
        "cloud_trial", "cloud_trial_extension_limit", "cloud_test_review", "cloud_change_review",
        "cloud_change_done", "cloud_exit_review", "cloud_reclaim", "cloud_fallback",
        "cloud_mlps_assessment", "cloud_provider_transition",
    )  # fmt: skip
    @classmethod
    def _span(cls, value: str) -> str:
        return str(Span.parse(value))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'exchange.db').as_posix()}"

    @property
    def resolved_warehouse_path(self) -> Path:
        return self.warehouse_path or self.data_dir / "warehouse"

    @property
    def resolved_warehouse_key_file(self) -> Path:
        return self.warehouse_key_file or self.data_dir / "warehouse-keys.json"

    @property
    def resolved_drop_root(self) -> Path:
        return self.drop_root or self.data_dir / "drop"

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_warehouse_uri(self) -> str:
        if self.warehouse_uri:
            return self.warehouse_uri
        return self.resolved_warehouse_path.resolve().as_uri()

    @property
    def dag_specs_path(self) -> Path:
        """Where the platform writes the list of sources that the ingestion DAG file reads."""
        return self.data_dir / "dag_specs.json"

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def deadline_span(self, setting_name: str) -> Span:
        """The configured length of a deadline, by the name of its setting."""
        value = getattr(self, setting_name, None)
        if isinstance(value, int) and setting_name.endswith("_days"):
            return Span(value, TimeUnit.WORKING_DAYS)
        if isinstance(value, str) and setting_name.startswith("cloud_"):
            return Span.parse(value)
        raise KeyError(f"{setting_name} is not a deadline setting")
