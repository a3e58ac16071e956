"""Settings, read from the environment.

With nothing set, the service uses SQLite next to manage.py and one in-process fakeredis server
shared by the whole process (announced in the log at start), and is production-safe: DEBUG off (so
a SECRET_KEY is required), HTTPS only (redirect, HSTS, secure cookies). Development asks for DEBUG=1
(`make run` does); the tests use settlement_project/settings_test.py. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY and ALLOWED_HOSTS and runs behind a TLS-terminating, buffering reverse proxy
(docs/production.md).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# Off unless asked for: with DEBUG on, a 500 shows settings (DATABASE_URL, REDIS_URL) to anyone.
DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (development: DEBUG=1, as `make run` sets)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Transport security (`manage.py check --deploy` is clean with DEBUG off) ------------------
# HTTPS only unless DEBUG; behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER (the header
# that proxy sets, e.g. X-Forwarded-Proto) so that Django knows the request came over HTTPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    _proto_header = os.environ["SECURE_PROXY_SSL_HEADER"].strip().upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_proto_header}", "https")
# How many reverse proxies in front append to X-Forwarded-For: 0 trusts REMOTE_ADDR only, so a
# client cannot choose its own address (login throttles and the admin lockout count by it).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "authentication",
    "content-type",
    "idempotency-key",
    "x-requested-with",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "utils",
    "course",
    "shopping",
    "pay",
    "frontend",
    "demo",  # demo data (manage.py load_demo), above the apps it fills
]

MIDDLEWARE = [
    # first: their time and request id cover every other middleware (README, "Observability")
    "utils.metrics.MetricsMiddleware",
    "utils.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "utils.trailing_slash.ApiTrailingSlashMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns an admin lockout into its answer
]

ROOT_URLCONF = "settlement_project.urls"
WHITENOISE_USE_FINDERS = DEBUG
WSGI_APPLICATION = "settlement_project.wsgi.application"
# A POST to /api/login (no slash) answers the 404 envelope instead of a redirect that loses the body.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # a persistent connection (no pool) is checked with a query before each request reuses it
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Django's backend, with a pool that checks a connection without a round trip
    DATABASES["default"]["ENGINE"] = "utils.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DB_CONNECT_TIMEOUT", 3
    )
    # Values bound by the server, and each statement prepared once a connection has sent it
    # DB_PREPARE_THRESHOLD times (psycopg's automatic preparation, which Django leaves off):
    # PostgreSQL then plans the flow's statements once per connection, not on every request
    # (bench/README.md). Behind PgBouncer in transaction mode this needs its
    # max_prepared_statements (1.21+); DB_PREPARE_THRESHOLD="" turns preparation off.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    _prepare = os.environ.get("DB_PREPARE_THRESHOLD", "2").strip()
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = int(_prepare) if _prepare else None
    # One pool of connections per process (Django's, on psycopg_pool), shared by its threads;
    # README "Deploying on several hosts" sizes it. DB_POOL_MAX_SIZE=0: no pool, CONN_MAX_AGE.
    DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 4)
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections, not the thread
        # the pool checks each connection it hands out (utils/postgresql/pool_check.py)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(env_int("DB_POOL_MIN_SIZE", 1), DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env_int("DB_POOL_TIMEOUT", 10),  # seconds a request waits, then 1003
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "course.Account"

# --- Redis ----------------------------------------------------------------------------------
# utils/redis.py builds every client, the stores' and the cache's (throttling), for one of the
# three deployments of API.md "Redis deployments" (README: "Deploying on several hosts").
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "2"))
REDIS_CLUSTER = env_bool("REDIS_CLUSTER", False)
REDIS_SENTINELS = env_list("REDIS_SENTINELS", [])
REDIS_SENTINEL_MASTER = os.environ.get("REDIS_SENTINEL_MASTER", "")
REDIS_DB = env_int("REDIS_DB", 0)  # Sentinel: the database number on the master
REDIS_PASSWORD = os.environ.get("REDIS_PASSWORD", "")  # Sentinel: the master's password
# Sentinel: a write is acknowledged once this many replicas hold it (WAIT), else 1003.
REDIS_REPLICA_ACKS = env_int("REDIS_REPLICA_ACKS", 1)
REDIS_REPLICA_ACK_TIMEOUT_MS = env_int("REDIS_REPLICA_ACK_TIMEOUT_MS", 1000)
# The in-process fakeredis with DEBUG off: only for what runs in one process (the test suite).
REDIS_IN_PROCESS = env_bool("REDIS_IN_PROCESS", False)


def _redis_misconfiguration() -> str | None:
    """Why the Redis settings cannot be right, in one line, or None."""
    if REDIS_CLUSTER and REDIS_SENTINELS:
        return "REDIS_CLUSTER and REDIS_SENTINELS exclude each other: choose one deployment."
    if REDIS_SENTINELS and REDIS_URL:
        return "REDIS_URL and REDIS_SENTINELS exclude each other: Sentinel names the master."
    if REDIS_SENTINELS and not REDIS_SENTINEL_MASTER:
        return "REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the name Sentinel monitors)."
    bad = [a for a in REDIS_SENTINELS if not a.rpartition(":")[2].isdigit() or ":" not in a]
    if bad:
        return f"REDIS_SENTINELS must be host:port,host:port (got {bad[0]!r})."
    if REDIS_CLUSTER and not REDIS_URL:
        return "REDIS_CLUSTER needs REDIS_URL naming one node of the cluster."
    if not DEBUG and not (REDIS_URL or REDIS_SENTINELS or REDIS_IN_PROCESS):
        return (
            "REDIS_URL (or REDIS_SENTINELS) must be set when DEBUG is off: without it every "
            "process would keep its own in-process Redis (logins, carts and settlements unshared)."
        )
    return None


if (_reason := _redis_misconfiguration()) is not None:
    raise ImproperlyConfigured(_reason)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL or "redis://configured-in-utils-redis/0",  # not read, see below
        "KEY_PREFIX": "cache",
        # The client comes from utils/redis.py: same deployment as the stores, fakeredis included.
        "OPTIONS": {"CONNECTION_FACTORY": "utils.redis.CacheConnectionFactory"},
    }
}

# --- Auth, i18n, static ---------------------------------------------------------------------
# django-axes locks the admin login after ADMIN_LOGIN_FAILURE_LIMIT failures, by client address
# and by username, for ADMIN_LOGIN_COOLOFF_MINUTES (the API login has its own throttles, and the
# axes backend refuses it nothing: AXES_ONLY_ADMIN_SITE). Attempts are rows in the database (the
# database handler): the same on every worker, kept across a Redis restart, listed in the admin;
# `manage.py axes_reset_username <name>` lifts a lockout early.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ONLY_ADMIN_SITE = True
AXES_HANDLER = "utils.admin_lockout.AdminLoginHandler"  # records admin logins only
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "utils.throttling.client_address"  # NUM_PROXIES, like the API's

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- DRF ------------------------------------------------------------------------------------
_RENDERERS = ["utils.renderers.ORJSONRenderer"]
if DEBUG:
    _RENDERERS.append("rest_framework.renderers.BrowsableAPIRenderer")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["utils.authentication.RedisTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": _RENDERERS,
    "DEFAULT_PARSER_CLASSES": ["utils.parsers.BoundedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "utils.negotiation.JSONFallbackNegotiation",
    "EXCEPTION_HANDLER": "utils.exception_handler.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_METADATA_CLASS": "utils.metadata.EnvelopeMetadata",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Settlement center API (结算中心)",
    "DESCRIPTION": "LuffyCity's settlement center rebuilt: cart, settlement, coupons, payment, orders. "
    "Every response is the envelope {code, data, error}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ServiceStateEnum": "utils.health.SERVICE_STATES"},
}

# --- Product settings -----------------------------------------------------------------------
TOKEN_TTL_SECONDS = env_int("TOKEN_TTL_SECONDS", 7 * 24 * 3600)
LOGIN_THROTTLE_RATE = os.environ.get("LOGIN_THROTTLE_RATE", "10/min")
REDEEM_THROTTLE_RATE = os.environ.get("REDEEM_THROTTLE_RATE", "10/hour")  # wrong 兑换码 per account
LOGIN_USERNAME_THROTTLE_RATE = os.environ.get("LOGIN_USERNAME_THROTTLE_RATE", "20/hour")
SHOPPING_CAR_LIMIT = env_int("SHOPPING_CAR_LIMIT", 50)
BEILI_PER_YUAN = env_int("BEILI_PER_YUAN", 10)
ORDER_PAY_TIMEOUT = env_int("ORDER_PAY_TIMEOUT", 30 * 60)
# An Idempotency-Key in progress is a lease: past it (a worker killed mid-request) a retry runs.
IDEMPOTENCY_LEASE_SECONDS = env_int("IDEMPOTENCY_LEASE_SECONDS", 30)
# The public catalogue is cached in Redis and rebuilt on every change; this bounds a change made
# without model signals (course/catalogue.py).
CATALOGUE_CACHE_SECONDS = env_int("CATALOGUE_CACHE_SECONDS", 300)
# What the database said of a settlement's coupons is kept beside it and re-asked when its coupon
# records change (pay/records_version.py); this bounds a change made without that notice.
COUPON_CHECK_SECONDS = env_int("COUPON_CHECK_SECONDS", 60)
REFUND_WINDOW_DAYS = env_int("REFUND_WINDOW_DAYS", 7)
# The scheduled jobs (manage.py run_scheduled --loop): seconds between two rounds.
SCHEDULE_INTERVAL = env_int("SCHEDULE_INTERVAL", 60)

# --- Email (order receipts) -----------------------------------------------------------------
# The console backend prints receipts to the log; set EMAIL_BACKEND (and EMAIL_HOST, ...) for SMTP.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@localhost")
# Receipts go out on a background thread after the commit, so a slow mail server never holds a
# request; tests send them inline.
RECEIPTS_IN_BACKGROUND = env_bool("RECEIPTS_IN_BACKGROUND", True)

# One JSON object a line (LOG_FORMAT=json, the default), each with the request's id; plain text
# for a human at a terminal (LOG_FORMAT=plain).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "utils.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Observability (utils/metrics.py, utils/request_id.py) ---------------------------------
# Addresses (CIDR allowed) that may read GET /api/metrics without logging in (a Prometheus
# scraper); staff may always read it.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
# Proxies (CIDR allowed) whose X-Request-ID is kept; from anyone else a new id is made.
REQUEST_ID_TRUSTED_PROXIES = env_list("REQUEST_ID_TRUSTED_PROXIES", [])
CORS_EXPOSE_HEADERS = ["X-Request-ID"]

# --- Alipay (python-alipay-sdk, RSA2) -------------------------------------------------------
# Without ALIPAY_APP_ID the service uses a local development gateway page (only when DEBUG).
ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID", "")
ALIPAY_APP_PRIVATE_KEY = os.environ.get("ALIPAY_APP_PRIVATE_KEY", "")  # PEM text
ALIPAY_APP_PRIVATE_KEY_PATH = os.environ.get("ALIPAY_APP_PRIVATE_KEY_PATH", "")
ALIPAY_PUBLIC_KEY = os.environ.get("ALIPAY_PUBLIC_KEY", "")  # Alipay's public key, PEM text
ALIPAY_PUBLIC_KEY_PATH = os.environ.get("ALIPAY_PUBLIC_KEY_PATH", "")
ALIPAY_SANDBOX = env_bool("ALIPAY_SANDBOX", True)
ALIPAY_NOTIFY_URL = os.environ.get(
    "ALIPAY_NOTIFY_URL", "http://127.0.0.1:8000/api/payment/alipay/notify/"
)
ALIPAY_RETURN_URL = os.environ.get(
    "ALIPAY_RETURN_URL", "http://127.0.0.1:8000/api/payment/alipay/return/"
)

# --- WeChat Pay API v3 (wechatpayv3) --------------------------------------------------------
# Without them (or with an APIv3 key that is not 32 bytes) WeChat Pay is off: the development
# gateway stands in when DEBUG is on, and "gateway": "wechat" is 1047 when it is off.
WECHAT_MCHID = os.environ.get("WECHAT_MCHID", "")
WECHAT_APPID = os.environ.get("WECHAT_APPID", "")
WECHAT_PRIVATE_KEY = os.environ.get("WECHAT_PRIVATE_KEY", "")  # merchant API key, PEM text
WECHAT_PRIVATE_KEY_PATH = os.environ.get("WECHAT_PRIVATE_KEY_PATH", "")  # apiclient_key.pem
WECHAT_CERT_SERIAL_NO = os.environ.get("WECHAT_CERT_SERIAL_NO", "")  # of apiclient_cert.pem
WECHAT_APIV3_KEY = os.environ.get("WECHAT_APIV3_KEY", "")
WECHAT_NOTIFY_URL = os.environ.get(
    "WECHAT_NOTIFY_URL", "http://127.0.0.1:8000/api/payment/wechat/notify/"
)
# WeChat's platform certificates (the SDK downloads them there when empty), or instead the
# platform public key and its id (PUB_KEY_ID_...).
WECHAT_CERT_DIR = os.environ.get("WECHAT_CERT_DIR", "")
WECHAT_PUBLIC_KEY = os.environ.get("WECHAT_PUBLIC_KEY", "")
WECHAT_PUBLIC_KEY_PATH = os.environ.get("WECHAT_PUBLIC_KEY_PATH", "")
WECHAT_PUBLIC_KEY_ID = os.environ.get("WECHAT_PUBLIC_KEY_ID", "")
# Where WeChat's H5 page sends the phone back ({order_number} filled in); empty: not at all.
WECHAT_H5_REDIRECT_URL = os.environ.get(
    "WECHAT_H5_REDIRECT_URL", "http://127.0.0.1:8000/#/payment/{order_number}"
)
WECHAT_TIMEOUT = env_int("WECHAT_TIMEOUT", 10)  # seconds for one call to WeChat Pay
