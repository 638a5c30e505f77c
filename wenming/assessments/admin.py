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
