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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
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
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DB_CONNECT_TIMEOUT", 3
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "course.Account"

# --- Redis ----------------------------------------------------------------------------------
# utils/redis.py hands out the one client; the cache (throttling) lives on the same Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "2"))

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cache",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    import fakeredis

    from utils.redis import fake_server

    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://fakeredis:6379/0",
            "KEY_PREFIX": "cache",
            "OPTIONS": {
                "CONNECTION_POOL_KWARGS": {
                    "connection_class": fakeredis.FakeRedisConnection,
                    "server": fake_server(),
                }
            },
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
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["utils.authentication.RedisTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["utils.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "utils.exception_handler.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_METADATA_CLASS": "utils.metadata.EnvelopeMetadata",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

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
    "ENUM_NAME_OVERRIDES": {},
}

# --- Product settings -----------------------------------------------------------------------
TOKEN_TTL_SECONDS = env_int("TOKEN_TTL_SECONDS", 7 * 24 * 3600)
LOGIN_THROTTLE_RATE = os.environ.get("LOGIN_THROTTLE_RATE", "10/min")
LOGIN_USERNAME_THROTTLE_RATE = os.environ.get("LOGIN_USERNAME_THROTTLE_RATE", "20/hour")
SHOPPING_CAR_LIMIT = env_int("SHOPPING_CAR_LIMIT", 50)
BEILI_PER_YUAN = env_int("BEILI_PER_YUAN", 10)
ORDER_PAY_TIMEOUT = env_int("ORDER_PAY_TIMEOUT", 30 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

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
