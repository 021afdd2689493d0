"""Configuration profiles. Every setting comes from the environment; the defaults give the embedded
profile (SQLite, an embedded broker on SQLite, mail written to an outbox folder) so that the demo
needs no server. `ProductionConfig` refuses to start without the settings production needs.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path
from typing import Any


class ConfigError(SystemExit):
    """A required setting is missing or unsafe: raised at start-up with the variable's name. A SystemExit,
    so that gunicorn, Celery and the `flask` commands stop with that one line and no traceback."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}")


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}")
    if not 0 <= value < math.inf:
        raise ConfigError(f"{name} must be a number of seconds, 0 or more, got {raw!r}")
    return value


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def celery_settings(broker_url: str, *, embedded: bool) -> dict[str, Any]:
    """Celery settings shared by every profile: one task at a time per worker process, acknowledged after it
    ran (a worker killed mid-task leaves the job to be redelivered), results not kept."""
    settings: dict[str, Any] = {
        "broker_url": broker_url,
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 1,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "broker_connection_retry_on_startup": True,
        # Publishing happens after commit; when the broker is down the outbox sweep re-sends later,
        # so a publish must fail fast instead of holding the resident's request.
        "broker_connection_timeout": 2,
        "broker_transport_options": {"visibility_timeout": 3600, "max_retries": 1},
        "timezone": "UTC",
        "enable_utc": True,
    }
    if embedded:
        # kombu's SQLAlchemy transport hands these options to create_engine: keep none.
        settings["broker_transport_options"] = {}
    return settings


class Config:
    """Base profile: embedded defaults, overridden by the environment."""

    TESTING = False
    PROFILE = "embedded"

    def __init__(self) -> None:
        # The instance folder (uploaded images, the embedded database and mail folder): SHOPAPP_INSTANCE, else
        # `instance/` in the working directory (the project's folder for `make demo`, /app in the image).
        instance = Path(_env("SHOPAPP_INSTANCE") or Path.cwd() / "instance")
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _env("SECRET_KEY") or self._embedded_secret(instance)
        self.SQLALCHEMY_DATABASE_URI = self._database_url(instance)
        # Connections idle in the pool are pinged before use by shopapp.core.db (not `pool_pre_ping`,
        # which would ping before every transaction). On PostgreSQL, room for a worker process's threads
        # (worker.POOL_OPTIONS): each holds its session's connection and, sending a batch, the one its 'sent'
        # marks are written on; SQLAlchemy's default pool (5, and 10 more for a while) would keep some waiting.
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = (
            {"pool_size": 10, "max_overflow": 10} if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql") else {})
        broker = _env("CELERY_BROKER_URL") or _env("REDIS_URL")
        if broker is None:
            broker = "sqla+" + _sqlite_url(instance / "broker.sqlite3")
        self.CELERY = celery_settings(broker, embedded=broker.startswith("sqla+"))
        self.REDIS_URL = _env("REDIS_URL")
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI") or (self.REDIS_URL or "memory://")
        self.LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute")
        self.LOGIN_ACCOUNT_RATE_LIMIT = _env("LOGIN_ACCOUNT_RATE_LIMIT", "20 per 10 minutes")
        self.SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 120)
        self.SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 24)
        self.MAIL_BACKEND = _env("MAIL_BACKEND") or ("smtp" if _env("MAIL_SERVER") else "outbox")
        self.MAIL_SERVER = _env("MAIL_SERVER", "localhost")
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USERNAME = _env("MAIL_USERNAME")
        self.MAIL_PASSWORD = _env("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _env("MAIL_USE_TLS", "0") == "1"
        self.MAIL_FROM = _env("MAIL_FROM", "Adopte mon commerçant <bonjour@adopte-mon-commercant.fr>")
        self.MAIL_OUTBOX_DIR = _env("MAIL_OUTBOX_DIR", str(instance / "mail_outbox"))
        # SMS provider: an HTTP endpoint taking a JSON POST {"to", "text", "sender"} with a bearer token.
        # Unset, residents are not offered SMS and none is sent.
        self.SMS_API_URL = _env("SMS_API_URL")
        self.SMS_API_TOKEN = _env("SMS_API_TOKEN")
        self.SMS_SENDER = _env("SMS_SENDER", "AdopteMonCo")
        self.SMS_TIMEOUT = _int("SMS_TIMEOUT", 10)
        self.STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY")
        self.STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY")
        self.STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
        self.STRIPE_API_BASE = _env("STRIPE_API_BASE")
        # Accounts, transfers and reversals (Stripe Connect) go to this base; tests point it at the Connect fake.
        self.STRIPE_CONNECT_API_BASE = _env("STRIPE_CONNECT_API_BASE")
        # Talking to localstripe: request params it refuses are left out (see payments/gateway.py).
        self.STRIPE_LOCALSTRIPE = _env("STRIPE_LOCALSTRIPE", "0") == "1"
        # Stripe.js; by default the real one, or localstripe's stand-in at <STRIPE_API_BASE>/js.stripe.com/v3/.
        self.STRIPE_JS_URL = _env("STRIPE_JS_URL")
        self.STRIPE_WEBHOOK_TOLERANCE = _int("STRIPE_WEBHOOK_TOLERANCE", 300)
        self.STRIPE_MAX_NETWORK_RETRIES = _int("STRIPE_MAX_NETWORK_RETRIES", 2)
        self.PAYMENT_CURRENCY = _env("PAYMENT_CURRENCY", "EUR")
        self.PAYMENT_HOLD_MINUTES = _int("PAYMENT_HOLD_MINUTES", 15)
        # Standing orders become orders this long before the shops' preparation lead time (shopapp/standing).
        self.STANDING_ORDER_MARGIN_MINUTES = _int("STANDING_ORDER_MARGIN_MINUTES", 720)
        # Used until the association records a rate (payments.commission.set_platform_rate).
        self.PLATFORM_COMMISSION_BPS = _int("PLATFORM_COMMISSION_BPS", 1000)
        self.COMMISSION_VAT_BPS = _int("COMMISSION_VAT_BPS", 2000)
        self.VENUE_TIMEZONE = _env("VENUE_TIMEZONE", "Europe/Paris")
        self.BABEL_DEFAULT_LOCALE = "fr"
        self.BABEL_DEFAULT_TIMEZONE = self.VENUE_TIMEZONE
        self.LANGUAGES = ["fr", "en"]
        self.PUBLIC_URL = _env("PUBLIC_URL", "http://127.0.0.1:5000")
        # Reverse proxies in front of the app (the TLS proxy in docker-compose.yml): with N trusted hops,
        # the visitor's address and scheme are read from X-Forwarded-For/-Proto, so rate limits and logs
        # see the visitor, not the proxy. 0 (the default) trusts no header.
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        if not 0 <= self.TRUSTED_PROXIES <= 5:
            raise ConfigError(f"TRUSTED_PROXIES must be between 0 and 5, got {self.TRUSTED_PROXIES}")
        self.PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)
        self.EMAIL_CONFIRM_MAX_AGE = _int("EMAIL_CONFIRM_MAX_AGE", 7 * 24 * 3600)
        self.OUTBOX_DISPATCH = _env("OUTBOX_DISPATCH", "1") == "1"
        self.OUTBOX_REPUBLISH_AFTER = _int("OUTBOX_REPUBLISH_AFTER", 300)
        self.OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 5)
        # Outbox jobs whose task name starts with one of these go to the worker in batches (one message,
        # one task, one SMTP connection for up to OUTBOX_BATCH_SIZE jobs) instead of one message each.
        self.OUTBOX_BATCHED_PREFIXES = ("notices.",)
        self.OUTBOX_BATCH_SIZE = _int("OUTBOX_BATCH_SIZE", 50)
        self.NOTICE_CLAIM_TIMEOUT = _int("NOTICE_CLAIM_TIMEOUT", 600)
        # Reminder e-mail this long before a pickup slot starts (found by a periodic sweep).
        self.NOTICE_SLOT_REMINDER_MINUTES = _int("NOTICE_SLOT_REMINDER_MINUTES", 120)
        # Shops' picking digest for the next day goes out from this local hour (venue time zone).
        self.NOTICE_DIGEST_HOUR = _int("NOTICE_DIGEST_HOUR", 17)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None
        # CSRF is checked in one before_request hook so that bearer-token API calls can skip it.
        self.WTF_CSRF_CHECK_DEFAULT = False
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)
        self.LOG_JSON = _env("LOG_JSON", "1") == "1"
        # Public catalog answers (a few seconds; stock shown may lag by that much, checkout re-checks it
        # atomically anyway) and anonymous product pages (keyed by their data). With Redis (production),
        # one cache shared by every web process; without (the embedded default), one per process, bounded
        # to CACHE_THRESHOLD entries least recently used first (shopapp/core/lru.py).
        self.CACHE_TYPE = _env("CACHE_TYPE", "RedisCache" if self.REDIS_URL else "shopapp.core.lru.LRUCache")
        self.CACHE_REDIS_URL = _env("CACHE_REDIS_URL") or self.REDIS_URL
        # A prefix of its own: clearing the cache then deletes its keys only, never the rest of the database.
        self.CACHE_KEY_PREFIX = _env("CACHE_KEY_PREFIX", "shopapp-cache:")
        self.CACHE_DEFAULT_TIMEOUT = _int("CACHE_DEFAULT_TIMEOUT", 10)
        self.CACHE_THRESHOLD = _int("CACHE_THRESHOLD", 2000)
        # Answers each web process keeps in its own memory in front of Redis (core/cache.py `near_cache`).
        # Bounded by their number and by the megabytes of pages they hold (a product page is about 7 KB).
        self.PAGE_NEAR_CACHE_ENTRIES = _int("PAGE_NEAR_CACHE_ENTRIES", 10_000)
        self.PAGE_NEAR_CACHE_MB = _int("PAGE_NEAR_CACHE_MB", 32)
        # For so many seconds after a web process read the version of a product page it holds, it serves
        # that copy to visitors without a session without reading the version again (core/page_cache.py):
        # a change shows to them within that time, at once to anyone with a session. 0: read every visit.
        # By default the lists' rule: CACHE_DEFAULT_TIMEOUT.
        self.PRODUCT_PAGE_RECHECK_SECONDS = _float("PRODUCT_PAGE_RECHECK_SECONDS", float(self.CACHE_DEFAULT_TIMEOUT))

    def _database_url(self, instance: Path) -> str:
        url = _env("DATABASE_URL")
        if url is None:
            return _sqlite_url(instance / "shopapp.sqlite3")
        return normalise_database_url(url)

    @staticmethod
    def _embedded_secret(instance: Path) -> str:
        # No secret lives in the code: the embedded profile makes one per installation and keeps it.
        instance.mkdir(parents=True, exist_ok=True)
        path = instance / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgres://` / `postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class DevConfig(Config):
    """The embedded default used by `make demo`."""

    PROFILE = "embedded"


# What production cannot start without; each refusal is one line naming the settings.
PRODUCTION_REQUIRED = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_URL", "MAIL_SERVER")


class ProductionConfig(Config):
    """PostgreSQL + Redis + SMTP; refuses to start on unsafe or missing settings."""

    PROFILE = "production"

    def __init__(self) -> None:
        missing = [name for name in PRODUCTION_REQUIRED if _env(name) is None]
        if _env("REDIS_URL") is None and _env("CELERY_BROKER_URL") is None:
            missing.append("REDIS_URL (or CELERY_BROKER_URL)")
        if missing:
            raise ConfigError("Production start refused, missing settings: " + ", ".join(missing))
        secret = _env("SECRET_KEY") or ""
        if len(secret) < 32:
            raise ConfigError("SECRET_KEY must be a random string of at least 32 characters in production")
        public_url = _env("PUBLIC_URL") or ""
        if not public_url.startswith(("https://", "http://")):
            raise ConfigError(f"PUBLIC_URL must be the site's address (https://…), got {public_url!r}")
        if _env("MAIL_BACKEND", "smtp") != "smtp":
            raise ConfigError("MAIL_BACKEND must be smtp in production: e-mails are never written to a folder there")
        sms_url = _env("SMS_API_URL")
        if sms_url is not None and (not sms_url.startswith("https://") or _env("SMS_API_TOKEN") is None):
            raise ConfigError("SMS_API_URL must be the provider's https:// address, with SMS_API_TOKEN, in production "
                              "(or unset: no SMS)")
        super().__init__()
        self.MAIL_BACKEND = "smtp"
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        if self.RATELIMIT_STORAGE_URI == "memory://":
            raise ConfigError("RATELIMIT_STORAGE_URI or REDIS_URL is required in production")


class TestConfig(Config):
    """Tests: the conftest sets SHOPAPP_INSTANCE, DATABASE_URL and CELERY_BROKER_URL per backend."""

    TESTING = True
    PROFILE = "test"

    def __init__(self) -> None:
        super().__init__()
        # The services backend counts log-in attempts in Redis, as production does; the embedded one in memory.
        self.RATELIMIT_STORAGE_URI = _env("REDIS_URL") or "memory://"
        self.CACHE_TYPE = _env("TEST_CACHE_TYPE", "NullCache")
        # Tests see each change on the next request; tests/catalog/test_product_page_cache.py sets the window.
        self.PRODUCT_PAGE_RECHECK_SECONDS = 0.0
        self.MAIL_BACKEND = _env("MAIL_BACKEND", "outbox")
        self.LOG_JSON = False


def config_for_environment() -> type[Config]:
    """The profile named by SHOPAPP_ENV (`production`), else the embedded default."""
    name = _env("SHOPAPP_ENV", "embedded")
    if name == "production":
        return ProductionConfig
    if name in ("embedded", "development", "dev"):
        return DevConfig
    raise ConfigError(f"SHOPAPP_ENV must be 'production' or 'embedded', got {name!r}")
