"""Who is calling: a bearer token (a client system's or a user's), a logged-in session, or nobody.

Scopes (ApiToken.scopes): read_public — what the public site shows; report — file reports without the anonymous
rate limit; act_for_unit — a unit's own cases (full timelines, workflow actions through transition()) and its
progress reports; admin — everything readable. Scopes gate the door; transition() still decides each action by
the actor's roles (DESIGN.md §3 "One workflow function"), so a token can never do more than its user could.
"""

from __future__ import annotations

import dataclasses
import functools

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from wenming.api import ratelimit
from wenming.api.models import ApiToken, Scope, hash_secret
from wenming.core import clock
from wenming.core.db import fetch_instance, table

from .errors import ApiError, forbidden

ANON_SCOPES = frozenset({Scope.READ_PUBLIC, Scope.REPORT})


@dataclasses.dataclass(frozen=True)
class Principal:
    user: object | None = None
    token: ApiToken | None = None
    scopes: frozenset = ANON_SCOPES
    via: str = "anonymous"  # anonymous | token | session

    def __bool__(self) -> bool:  # Ninja treats a falsy auth result as "not authenticated"
        return True

    @property
    def is_anonymous(self) -> bool:
        return self.via == "anonymous"

    def has(self, scope: str) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes

    def idempotency_namespace(self) -> str:
        """Idempotency keys are per caller, so two clients choosing the same key never see each other's case."""
        if self.token is not None:
            return f"t{self.token.pk}"
        if self.user is not None:
            return f"u{self.user.pk}"
        return "anon"


def session_scopes(user) -> frozenset:
    from wenming.accounts.models import Role

    scopes = {Scope.READ_PUBLIC, Scope.REPORT}
    if user.is_superuser or user.has_role(Role.OFFICE):
        scopes |= {Scope.ADMIN, Scope.ACT_FOR_UNIT}
    elif user.memberships.exists():
        scopes.add(Scope.ACT_FOR_UNIT)
    return frozenset(scopes)


class BearerToken(HttpBearer):
    """`Authorization: Bearer wmt_…`. A wrong or revoked token is a 401, never a silent fall back to anonymous."""

    def authenticate(self, request, token):
        found = _usable_token(hash_secret(token)) if token and len(token) < 200 else None
        if found is None:
            raise AuthenticationError(401, _("访问令牌无效或已停用"))
        now = clock.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)  # at most once a minute: no write per call
        user = get_user_model().objects.get(pk=found.user_id) if found.user_id else None
        return Principal(user=user, token=found, scopes=frozenset(found.scopes), via="token")


@functools.cache
def _token_where() -> str:
    from wenming.api.models import ApiClient

    c, u = table(ApiClient), table(get_user_model())
    return (
        f"t.key_hash = %s AND t.is_active"
        f" AND (t.client_id IS NULL OR EXISTS (SELECT 1 FROM {c} c WHERE c.id = t.client_id AND c.is_active))"
        f" AND (t.user_id IS NULL OR EXISTS (SELECT 1 FROM {u} u WHERE u.id = t.user_id AND u.is_active))"
    )


def _usable_token(key_hash: str) -> ApiToken | None:
    """The token with this hash if it, its client system and its user are active and it has not expired.

    One fixed query on every API call (core.db notes why not a queryset), never a cache: revoking a token, or
    disabling its client or user, takes effect with the next call in every server process."""
    token = fetch_instance(ApiToken, ("id", "user_id", "client_id", "scopes", "expires_at", "last_used_at"),
                           _token_where(), [key_hash])
    if token is None or token.expires_at is not None and token.expires_at <= clock.now():
        return None
    return token


class SessionOrAnonymous(APIKeyCookie):
    """The web pages' login session (CSRF-checked for writes), else an anonymous caller."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                if check_csrf(request) is not None:
                    raise ApiError(403, "csrf", _("CSRF 校验失败，请刷新页面后重试"))
            return Principal(user=user, scopes=session_scopes(user), via="session")
        return Principal()

    def authenticate(self, request, key):  # pragma: no cover - __call__ decides
        return None


AUTH = [BearerToken(), SessionOrAnonymous()]


def principal(request) -> Principal:
    return request.auth


def require(request, scope: str) -> Principal:
    who = principal(request)
    if not who.has(scope):
        if who.is_anonymous:
            raise ApiError(401, "unauthorized", _("请先登录或提供有效的访问令牌"))
        raise forbidden(_("当前令牌没有“%(scope)s”权限") % {"scope": Scope(scope).label})
    return who


def limit_anonymous(request, bucket: str = "read") -> None:
    """Anonymous callers share a per-address budget; signed-in callers and tokens are not limited here."""
    if not principal(request).is_anonymous:
        return
    wait = ratelimit.hit(request, bucket)
    if wait is not None:
        exc = ApiError(429, "rate_limited", _("请求过于频繁，请 %(s)s 秒后再试") % {"s": wait})
        exc.retry_after = wait
        raise exc
