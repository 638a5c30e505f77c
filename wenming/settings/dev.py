from .base import *  # noqa: F401,F403
from .base import DATA_DIR

DEBUG = True
ALLOWED_HOSTS = ["*"]
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
