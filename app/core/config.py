"""Settings: one class, grouped, read from ``TECHX_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - refused outside development
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class DatabaseSettings(BaseModel):
    url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'techx.db'}"
    echo: bool = False
    # Connections kept open per process (PostgreSQL). More are opened for bursts and closed
    # when returned.
    pool_size: int = 10
    # SQLite connections kept open per process: one opened per request above this would cost a
    # thread, the file's setup and a cold page cache each time.
    sqlite_pool_size: int = 32
    sqlite_busy_timeout_ms: int = 30_000
    # SQLite reads the database file through a memory map up to this size (its build's maximum
    # applies): the pages then come from the operating system's cache, shared by all
    # connections, without a copy each into every connection's own small cache. 0 turns it off.
    sqlite_mmap_bytes: int = 2 << 30


class AuthSettings(BaseModel):
    issuer: str = "techx"
    audience: str = "techx-api"
    access_ttl_seconds: int = 900
    refresh_ttl_days: int = 30
    # Retired signing keys keep verifying tokens for this long after a rotation.
    key_grace_seconds: int = 3600
    # Wrong passwords or client secrets for one account from one address: after this many in
    # the window that pair waits (429); the account stays open to every other address.
    login_max_failures: int = 10
    login_window_seconds: int = 60
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    client_secret_overlap_hours: int = 24


class RateSettings(BaseModel):
    # Abuse limits, in the notation "<count>/<second|minute|hour|day>", per worker process.
    # Every POST /auth/token from one client address (password, client-credentials, refresh).
    token_per_address: str = "60/minute"  # noqa: S105 - a rate, not a secret
    # Self-registrations from one client address.
    register_per_address: str = "10/hour"
    # Searches: anonymous ones per client address, authenticated ones per account or client.
    search_per_address: str = "120/minute"
    search_per_account: str = "600/minute"


class HttpSettings(BaseModel):
    max_body_bytes: int = 1_048_576
    cors_origins: list[str] = Field(default_factory=list)
    idempotency_ttl_hours: int = 24
    # FastAPI's native OpenTelemetry (traces, metrics and logs to the globally configured
    # providers). Off, it costs nothing per request; the service's own metrics are at /metrics.
    opentelemetry: bool = False


class JobSettings(BaseModel):
    lease_seconds: int = 60
    poll_interval_seconds: float = 1.0
    backoff_base_seconds: float = 2.0
    backoff_cap_seconds: float = 3600.0
    in_process: bool = True
    maintenance_interval_seconds: int = 3600


class StorageSettings(BaseModel):
    # Initiative attachments, content-addressed by SHA-256.
    attachments_dir: Path = PROJECT_ROOT / "var" / "attachments"
    max_attachment_bytes: int = 20 * 1024 * 1024


class IpSettings(BaseModel):
    # Alerts fire this many days before each deadline; the smallest is also the "due" window.
    alert_offsets_days: list[int] = Field(default_factory=lambda: [90, 30, 7])
    alert_scan_interval_seconds: int = 3600
    # Deadlines are calendar dates in Viet Nam (UTC+7, no daylight saving).
    utc_offset_hours: int = 7
    # A rule table file replacing the packaged Vietnamese one (JSON, same shape).
    rules_path: str | None = None
    webhook_timeout_seconds: float = 10.0


class SyncSettings(BaseModel):
    # Federation push and change feed (design section 6); the limits are advertised.
    max_batch_items: int = 1000
    max_push_bytes: int = 16 * 1024 * 1024
    # None keeps deletion tombstones for good (OAI-PMH deletedRecord "persistent"); a number of
    # days purges older ones, and feed cursors from before the purge then get 410 Gone.
    tombstone_retention_days: int | None = None
    feed_page_max: int = 1000
    # Harvest: this instance's exchange code (records of that origin are never pulled back),
    # how often peers are harvested, the page size asked for and the HTTP timeout.
    exchange_code: str = "VN"
    # The public address of this instance (``https://san.example.vn``): its own records link
    # back to it in the change feed; unset, the address a feed request named is used.
    public_url: str | None = None
    harvest_interval_seconds: int = 300
    harvest_page_size: int = 200
    harvest_timeout_seconds: float = 30.0
    # OAI-PMH: Identify's adminEmail, the repository part of identifiers (default: the host
    # the request named) and the page size of list verbs.
    oai_admin_email: str = "operator@techx.invalid"
    oai_repository_id: str | None = None
    oai_page_size: int = 100


class MetricsSettings(BaseModel):
    # /metrics answers a bearer of this token or an operator's access token; ``open`` lets
    # anyone scrape it (a private network where the scraper cannot send a header).
    token: str | None = None
    open: bool = False


class MailSettings(BaseModel):
    # Outgoing e-mail (co-author invitations). Without a host, deliveries fail and are retried
    # until dead-lettered, visible to operators; nothing is dropped silently.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    from_address: str = "no-reply@techx.invalid"
    timeout_seconds: float = 30.0
    # The address of this service as people reach it, used in the links of e-mails.
    public_url: str = "http://127.0.0.1:8000"


class DiscoverySettings(BaseModel):
    # Points each component of the commercial-potential score is worth at its best; the score
    # is their sum (TECHX_DISCOVERY_WEIGHT_IP=40 ...).
    weight_readiness: float = Field(default=25.0, ge=0)
    weight_ip: float = Field(default=25.0, ge=0)
    weight_market: float = Field(default=20.0, ge=0)
    weight_reviews: float = Field(default=15.0, ge=0)
    weight_traction: float = Field(default=15.0, ge=0)
    # Matching requests, and distinct interested parties, at which those components are full.
    market_saturation: int = Field(default=5, ge=1)
    traction_saturation: int = Field(default=5, ge=1)
    # Remaining years of protection at which a right's term counts in full.
    ip_full_term_years: float = Field(default=10.0, gt=0)
    # Matches found by discovery and matching are ranked among this many candidates.
    max_candidates: int = Field(default=2000, ge=10)
    # How often saved searches and watches are compared with what their owners may read.
    watch_scan_interval_seconds: int = Field(default=300, ge=1)


class EgressSettings(BaseModel):
    # Webhooks and peers may not reach loopback, private, link-local, multicast or reserved
    # addresses; networks listed here (CIDR, e.g. "127.0.0.0/8") are reachable all the same,
    # for tests and closed networks.
    allow_networks: list[str] = Field(default_factory=list)


class BootstrapSettings(BaseModel):
    admin_email: str | None = None
    admin_password: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TECHX_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    env: Literal["development", "test", "production"] = "development"
    secret_key: str = DEFAULT_SECRET
    log_level: str = "INFO"
    log_json: bool = True
    migrate_on_start: bool = True
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    ip: IpSettings = Field(default_factory=IpSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)
    egress: EgressSettings = Field(default_factory=EgressSettings)
    rate: RateSettings = Field(default_factory=RateSettings)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.env != "test" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("TECHX_SECRET_KEY must be set outside development")
        if len(self.secret_key) < 16:
            raise ValueError("TECHX_SECRET_KEY must be at least 16 characters")
        password = self.bootstrap.admin_password
        if password is not None and len(password) < 10:
            raise ValueError("TECHX_BOOTSTRAP_ADMIN_PASSWORD must be at least 10 characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database.url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
