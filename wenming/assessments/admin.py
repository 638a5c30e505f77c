from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import MetricScheme


@admin.register(MetricScheme)
class MetricSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "is_active", "min_cases", "weight_closure", "weight_ontime_handling", "weight_rework"]
    list_filter = ["is_active", "year"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "year", "is_active", "note"]}),
        (_("案件量得分"), {"fields": ["volume_points", "volume_full_count"]}),
        (
            _("指标权重（各指标按 0–100 计）"),
            {
                "fields": [
                    "weight_closure", "weight_ontime_handling", "weight_rework",
                    "weight_ontime_closure", "weight_return", "weight_satisfaction",
                ]
            },
        ),
        (_("等级与排名"), {"fields": ["grade_bands", "lowest_grade", "min_cases", "satisfied_levels"]}),
    ]


# --- periodic products and accountability (seed §38/§41) ---------------------------------------------------------

from .models import (  # noqa: E402
    Accountability,
    AccountabilityRule,
    Interview,
    OfficeInput,
    Product,
    PublishingSettings,
    ScoringModel,
)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Read-only: products change only through their lifecycle (generate, review, publish, correct)."""

    list_display = ["title", "kind", "period_key", "version", "status", "document_number", "job_state", "generated_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "period_key", "document_number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PublishingSettings)
class PublishingSettingsAdmin(admin.ModelAdmin):
    list_display = ["issuer", "number_prefix", "city_name"]


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["year", "name", "weight_targets", "weight_cases", "weight_inspections", "weight_office"]
    filter_horizontal = ["units"]


@admin.register(OfficeInput)
class OfficeInputAdmin(admin.ModelAdmin):
    list_display = ["year", "unit", "district", "item", "score"]
    list_filter = ["year", "item"]
    autocomplete_fields = []


@admin.register(AccountabilityRule)
class AccountabilityRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parameters", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ["unit", "period_key", "rule", "status", "scheduled_at"]
    list_filter = ["status", "period_key"]
    readonly_fields = ["unit", "rule", "period_key", "reason", "evidence"]


@admin.register(Accountability)
class AccountabilityAdmin(admin.ModelAdmin):
    list_display = ["unit", "period_key", "level", "decided_by"]
    list_filter = ["level", "period_key"]
