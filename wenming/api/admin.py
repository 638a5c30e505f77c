"""Admin for API clients, tokens, Open311 keys and webhooks.

Tokens and keys are issued here through `ApiToken.issue` / `Open311Key.issue`, as the console commands do: the raw
value goes into one success message on the page after saving, and only its digest into the database. Edit pages
change everything else (revocation: untick 启用) and never show or touch the secret.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from wenming.core import clock

from . import webhooks
from .models import (
    ApiClient,
    ApiToken,
    Open311Intake,
    Open311Key,
    Scope,
    WebhookDelivery,
    WebhookSubscription,
)


class ScopesField(forms.MultipleChoiceField):
    """`ApiToken.scopes` as checkboxes: only `Scope` values get through (the JSON field itself would take any)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", ApiToken._meta.get_field("scopes").verbose_name)
        super().__init__(choices=Scope.choices, error_messages={
            "required": _("请至少选择一项权限"),
            "invalid_choice": _("未知的权限“%(value)s”"),
        }, **kwargs)

    def clean(self, value):
        return sorted(set(super().clean(value)))  # as issue() stores them


class ApiTokenForm(forms.ModelForm):
    scopes = ScopesField()

    class Meta:
        model = ApiToken
        fields = ("name", "client", "user", "scopes", "is_active", "expires_at")

    def clean(self):
        cleaned = super().clean()
        # The api_token_owner constraint, said in words. On the owner field so the model's own constraint check
        # (which skips fields with errors) does not add its technical message as well.
        if not ({"client", "user"} & set(self.errors)) and not cleaned.get("client") and not cleaned.get("user"):
            self.add_error("client", gettext("请选择接入系统或用户（至少一项）：令牌必须属于其中之一"))
        return cleaned


class ApiTokenAddForm(ApiTokenForm):
    class Meta(ApiTokenForm.Meta):
        fields = ("name", "client", "user", "scopes", "expires_at")

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= clock.now():
            raise forms.ValidationError(gettext("过期时间应晚于现在"))
        return value


class Open311KeyForm(forms.ModelForm):
    class Meta:
        model = Open311Key
        fields = ("name", "is_active")


class Open311KeyAddForm(forms.ModelForm):
    class Meta:
        model = Open311Key
        fields = ("name",)


class IssueOnAddMixin:
    """The add page's form only gathers what `issue()` takes; `issue()` creates the row and the secret."""

    add_form: type[forms.ModelForm]
    add_fieldsets: tuple
    record_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    readonly_fields = record_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.record_fields

    def save_model(self, request, obj, form, change):
        if change:
            # prefix and key_hash are not form fields: an edit cannot show or change the secret.
            return super().save_model(request, obj, form, change)
        issued, raw = self.issue(obj, form)
        # The admin goes on with `obj` (history entry, "added" message, redirect): make it the issued row.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued, field.attname))
        obj._state.adding, obj._state.db = False, issued._state.db
        # Shown once: the message travels in the signed messages cookie to the next page and is gone once read.
        self.message_user(request, self.issued_message % {"name": issued.name, "secret": raw}, messages.SUCCESS)


class TokenInline(admin.TabularInline):
    """Revoke or re-scope a client's tokens here; new ones on the token add page, which issues the secret (a row
    added here would have none)."""

    model = ApiToken
    form = ApiTokenForm
    extra = 0
    fields = ("name", "prefix", "user", "scopes", "is_active", "expires_at", "last_used_at")
    readonly_fields = ("prefix", "last_used_at")
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "contact", "is_active", "created_at")
    search_fields = ("name", "contact")
    inlines = [TokenInline]


@admin.register(ApiToken)
class ApiTokenAdmin(IssueOnAddMixin, admin.ModelAdmin):
    """Issued here or with `wenming api-token create`; either way the raw value is shown once and only the digest
    is stored, so the admin can revoke and re-scope but never reveal a token."""

    form = ApiTokenForm
    add_form = ApiTokenAddForm
    list_display = ("name", "prefix", "client", "user", "scopes", "is_active", "expires_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix", "client__name", "user__username")
    autocomplete_fields = ("client", "user")
    fieldsets = (
        (None, {"fields": ("name", "client", "user", "scopes", "is_active", "expires_at")}),
        (_("记录"), {"fields": IssueOnAddMixin.record_fields}),
    )
    add_fieldsets = ((None, {"fields": ("name", "client", "user", "scopes", "expires_at")}),)
    issued_message = _("已创建接口令牌“%(name)s”。令牌只显示这一次，离开本页后无法再查看，请立即复制并妥善保存：%(secret)s")

    def issue(self, obj, form):
        return ApiToken.issue(name=obj.name, scopes=form.cleaned_data["scopes"], client=obj.client, user=obj.user,
                              expires_at=obj.expires_at)


@admin.register(Open311Key)
class Open311KeyAdmin(IssueOnAddMixin, admin.ModelAdmin):
    """Issued here or with `wenming open311-key create NAME`; the key is shown once, only its digest is kept."""

    form = Open311KeyForm
    add_form = Open311KeyAddForm
    list_display = ("name", "prefix", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (_("记录"), {"fields": IssueOnAddMixin.record_fields}),
    )
    add_fieldsets = ((None, {"fields": ("name",)}),)
    issued_message = _("已创建 Open311 密钥“%(name)s”。密钥只显示这一次，离开本页后无法再查看，请立即复制并妥善保存：%(secret)s")

    def issue(self, obj, form):
        return Open311Key.issue(obj.name)


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


