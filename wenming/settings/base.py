"""Settings shared by every environment. Split per DESIGN.md §3 / STYLE.md: base, dev, test, prod."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PACKAGE_DIR.parent

# Where the embedded database, uploads and generated products live. One directory, so a laptop
# deployment is one folder to back up.
DATA_DIR = Path(os.environ.get("WENMING_DATA_DIR", BASE_DIR / "data")).resolve()



def _secret_key() -> str:
    """WENMING_SECRET_KEY, else a key made once and kept in the data directory."""
    if os.environ.get("WENMING_SECRET_KEY"):
        return os.environ["WENMING_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("WENMING_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "wenming.core",
    "wenming.accounts",
    "wenming.geo",
    "wenming.plans",
    "wenming.cases",
    "wenming.inspections",
    "wenming.assessments",
    "wenming.api",
    "wenming.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wenming.urls"
WSGI_APPLICATION = "wenming.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wenming.core.context_processors.site",
                "wenming.cases.context_processors.notifications",
            ],
        },
    },
]


def database_from_env(default_sqlite_path: Path) -> dict:
    """SQLite (WAL) under DATA_DIR unless DATABASE_URL names another database."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite_path,
        "OPTIONS": {
            # WAL lets readers run while one writer writes; IMMEDIATE avoids SQLITE_BUSY upgrades.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": database_from_env(DATA_DIR / "wenming.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# 等保 2.0 (GB/T 22239-2019): password rules; lockout and session timeout are in accounts.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["wenming.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
SESSION_COOKIE_AGE = 30 * 60  # 等保: idle sessions end after 30 minutes
SESSION_SAVE_EVERY_REQUEST = True
WENMING_LOGIN_MAX_FAILURES = 5
WENMING_LOGIN_LOCK_MINUTES = 15

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Templates write |date:"DATETIME_FORMAT" etc., so English pages get English dates; wenming/formats keeps the
# Chinese receipts' style and gives zh-hans the compact 2019-10-15 short form.
FORMAT_MODULE_PATH = ["wenming.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"


def _leaflet_static() -> list[Path]:
    """Leaflet ships inside django-leaflet. Its static files are used directly: adding the app itself would
    import django.contrib.gis (GDAL), which the product does not require."""
    import importlib.util

    spec = importlib.util.find_spec("leaflet")
    return [Path(spec.origin).parent / "static"] if spec and spec.origin else []


STATICFILES_DIRS = [PACKAGE_DIR / "static", *_leaflet_static()]
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
WENMING_MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
if os.environ.get("WENMING_TASKS_REDIS_URL"):
    # Larger deployments: a Redis-backed queue (django-tasks-rq), same tasks API.
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": os.environ["WENMING_TASKS_REDIS_URL"]}}

# One process: memory. Several gunicorn workers or machines: set WENMING_CACHE_URL=redis://… so rate limits and
# caches are shared.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("WENMING_CACHE_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["WENMING_CACHE_URL"]}
    }

EMAIL_BACKEND = os.environ.get("WENMING_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("WENMING_FROM_EMAIL", "wenming@localhost")

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (27.83, 113.13),  # 株洲 central city
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 18,
    "RESET_VIEW": False,
    # Tiles are a deployment setting: no third-party host is contacted unless an administrator sets one.
    "TILES": [(_("底图"), os.environ["WENMING_TILE_URL"], {"attribution": ""})]
    if os.environ.get("WENMING_TILE_URL")
    else [],
}

# The city this deployment serves by default: its name and the GB/T 2260 code of its jurisdiction.
WENMING_CITY_NAME = os.environ.get("WENMING_CITY_NAME", "株洲市")
WENMING_CITY_CODE = os.environ.get("WENMING_CITY_CODE", "430200")
# Management grid code length (standards.md: 14 in the older rule, 15 in Beijing's current one).
WENMING_GRID_CODE_LENGTH = int(os.environ.get("WENMING_GRID_CODE_LENGTH", "14"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"wenming": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
