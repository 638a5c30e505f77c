"""Production: secrets and hosts from the environment; PostgreSQL through DATABASE_URL."""

import os

from .base import *  # noqa: F401,F403
from .base import DATA_DIR

DEBUG = False
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = os.environ.get("WENMING_HTTPS", "") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
