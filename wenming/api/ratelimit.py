"""A fixed-window request counter in Django's cache, for anonymous callers (API and Open311 reads, reports).

Fixed windows are crude (a burst at a window edge gets up to twice the limit) but need one cache key and one
atomic increment per request, and they work with every cache backend, including the per-process default.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

DEFAULTS = {
    # bucket: (requests, window seconds)
    "read": (600, 60),
    "report": (20, 60),
    # Public tracking-code look-ups (portal.views): every look-up, generous because one tracking page also fetches
    # each of its photos by code, and many phones share one carrier address...
    "track": (120, 60),
    # ...and look-ups of codes that match nothing, strict and over a longer window, because guessing codes is
    # almost all misses: 20 in ten minutes is plenty for typing mistakes and far too few to enumerate codes.
    "track_miss": (20, 600),
}


def limit_for(bucket: str) -> tuple[int, int]:
    limits = getattr(settings, "WENMING_API_ANON_RATE_LIMITS", {}) or {}
    return tuple(limits.get(bucket, DEFAULTS[bucket]))  # type: ignore[return-value]


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the caller writes unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(request, bucket: str) -> int | None:
    """Count one request; return None when allowed, else the seconds until the window resets."""
    allowed, window = limit_for(bucket)
    now = int(time.time())
    start = now - now % window
    key = f"wm:rl:{bucket}:{client_ip(request)}:{start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > allowed:
        return max(1, start + window - now)
    return None
