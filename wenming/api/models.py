"""Who may call the API (clients, tokens, Open311 keys), what Open311 intake carried beyond a case, and webhooks.

Secrets (API tokens, Open311 keys) are stored only as SHA-256 digests: they are 256-bit random strings, so a fast
hash is enough (no password-style stretching needed), and a leaked database does not leak working credentials.
The raw value is shown once, when it is issued.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wenming.core import clock
from wenming.core.db import fetch_instance


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class Scope(models.TextChoices):
    READ_PUBLIC = "read_public", pgettext_lazy("接口权限", "读取公开数据")
    REPORT = "report", pgettext_lazy("接口权限", "上报问题")
    ACT_FOR_UNIT = "act_for_unit", pgettext_lazy("接口权限", "代表单位办理")
    ADMIN = "admin", pgettext_lazy("接口权限", "管理")


class ApiClient(models.Model):
    """A client system (a district's own platform, the 12345 hotline system, a mobile app)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    contact = models.CharField(_("联系人"), max_length=100, blank=True)
    note = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("接入系统")
        verbose_name_plural = _("接入系统")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token of a client system or of a user. Workflow actions need a user: the actor of record."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("接入系统"), null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("代表单位办理时以该用户身份操作"),
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    key_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("权限"), default=list)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client__isnull=False) | models.Q(user__isnull=False), name="api_token_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, name: str, scopes, client: ApiClient | None = None, user=None, expires_at=None):
        """Create a token; returns (token, raw). The raw value is never stored."""
        unknown = set(scopes) - set(Scope.values)
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        raw = new_secret("wmt")
        token = cls.objects.create(
            name=name, scopes=sorted(set(scopes)), client=client, user=user, expires_at=expires_at,
            prefix=raw[:10], key_hash=hash_secret(raw),
        )
        return token, raw


class Open311Key(models.Model):
    """An Open311 GeoReport v2 `api_key` (spec: required for POST service requests)."""

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str):
        raw = new_secret("o311")
        key = cls.objects.create(name=name, prefix=raw[:10], key_hash=hash_secret(raw))
        return key, raw

    @classmethod
    def matching(cls, raw: str | None) -> Open311Key | None:
        if not raw or len(raw) > 200:
            return None
        # Fixed SQL, not a queryset: asked for every Open311 POST (core.db notes the cost).
        return fetch_instance(cls, ("id", "last_used_at"), "t.key_hash = %s AND t.is_active", [hash_secret(raw)])


class Open311Intake(models.Model):
    """What an Open311 POST carried that a Case has no field for (spec: attributes, media_url, contact, ids).

    Contact e-mail and names are personal data: stored for the office, never written to Open311 output.
    """

    case = models.OneToOneField("cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="open311")
    key = models.ForeignKey(Open311Key, verbose_name=_("密钥"), null=True, on_delete=models.SET_NULL, related_name="+")
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    media_url = models.URLField(_("图片地址"), max_length=500, blank=True)
    address_id = models.CharField(_("地址编号"), max_length=100, blank=True)
    first_name = models.CharField(_("名"), max_length=50, blank=True)
    last_name = models.CharField(_("姓"), max_length=50, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    device_id = models.CharField(_("设备标识"), max_length=100, blank=True)
    account_id = models.CharField(_("账号标识"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("接收时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("Open311 受理信息")
        verbose_name_plural = _("Open311 受理信息")

    def __str__(self) -> str:
        return str(self.case_id)


# ---------------------------------------------------------------------------------------------------------------
# Webhooks


class WebhookSubscription(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("回调地址"), max_length=500)
    events = models.JSONField(
        _("事件"), default=list, blank=True, help_text=_("如 case.report、case.dispatch；case.* 或留空表示全部")
    )
    secret = models.CharField(_("签名密钥"), max_length=100, help_text=_("用于 HMAC-SHA256 签名（X-Wenming-Signature）"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        events = [e for e in (self.events or []) if e]
        if not events:
            return True
        return any(e == event or (e.endswith(".*") and event.startswith(e[:-1])) or e == "*" for e in events)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("推送状态", "待发送")
    DELIVERED = "delivered", pgettext_lazy("推送状态", "已送达")
    FAILED = "failed", pgettext_lazy("推送状态", "失败")


class WebhookDeliveryQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(status=DeliveryStatus.FAILED)

    def due(self, now=None):
        """Pending deliveries whose retry time has come (for backends that cannot defer a task)."""
        return self.filter(status=DeliveryStatus.PENDING, next_retry_at__lte=now or clock.now())


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("订阅"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("事件"), max_length=50)
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_status = models.PositiveIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    next_retry_at = models.DateTimeField(_("下次重试"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_retry_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"
