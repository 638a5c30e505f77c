from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import webhooks
from .models import (
    ApiClient,
    ApiToken,
    Open311Intake,
    Open311Key,
    WebhookDelivery,
    WebhookSubscription,
)


class TokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ("name", "prefix", "user", "scopes", "is_active", "expires_at", "last_used_at")
    readonly_fields = ("prefix", "last_used_at")
    show_change_link = True


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "contact", "is_active", "created_at")
    search_fields = ("name", "contact")
    inlines = [TokenInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued in code or the shell (`ApiToken.issue`), which shows the raw value once; only the digest
    is stored, so the admin can revoke and re-scope but never reveal a token."""

    list_display = ("name", "prefix", "client", "user", "scopes", "is_active", "expires_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix", "client__name", "user__username")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    """New keys: `wenming open311-key create NAME` prints the key once."""

    list_display = ("name", "prefix", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(Open311Intake)
class Open311IntakeAdmin(admin.ModelAdmin):
    list_display = ("case", "key", "created_at")
    raw_id_fields = ("case",)
    readonly_fields = [f.name for f in Open311Intake._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "events", "is_active", "created_at")
    list_filter = ("is_active",)


@admin.action(description=_("重新推送所选记录"))
def replay_deliveries(modeladmin, request, queryset):
    count = 0
    for delivery in queryset:
        webhooks.replay(delivery)
        count += 1
    modeladmin.message_user(
        request, ngettext("已重新推送 %(n)d 条记录", "已重新推送 %(n)d 条记录", count) % {"n": count}, messages.SUCCESS
    )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "subscription", "status", "attempts", "last_status", "next_retry_at", "created_at")
    list_filter = ("status", "event", "subscription")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = [replay_deliveries]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subscription")


