"""Tests: no outside services, fast hashing, a throw-away data directory."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import database_from_env

DATA_DIR = Path(tempfile.mkdtemp(prefix="wenming-test-"))
MEDIA_ROOT = DATA_DIR / "media"
STATIC_ROOT = DATA_DIR / "static"
DATABASES = {"default": database_from_env(DATA_DIR / "test.sqlite3")}
if not os.environ.get("DATABASE_URL"):
    # pytest-django runs SQLite in memory unless a file name is given for the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEBUG = False
ALLOWED_HOSTS = ["*"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
