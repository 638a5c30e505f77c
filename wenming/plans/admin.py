"""Admin for plans. Targets (including their baseline) are edited here; progress reports are a read-only history
(DESIGN.md §7: records are never silently edited or deleted — a correction is a new report)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Evidence, ImportRun, Measure, Plan, ProgressReport, Responsibility, Section, Target


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["title", "issued_on", "starts_on", "ends_on", "report_frequency", "is_default"]
    list_filter = ["is_default", "report_frequency"]
    search_fields = ["title", "issuer"]
    readonly_fields = ["source_sha256", "created_at", "updated_at"]
    inlines = [SectionInline]
    fieldsets = (
        (None, {"fields": ("title", "issuer", "issued_on", "jurisdiction", "is_default")}),
        (_("进度"), {"fields": ("starts_on", "ends_on", "report_frequency")}),
        (_("来源"), {"classes": ("collapse",), "fields": ("source_name", "source_sha256", "source_text")}),
    )


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "number", "plan"]
    list_filter = ["plan"]
    search_fields = ["title"]


class ResponsibilityInline(admin.StackedInline):
    model = Responsibility
    extra = 0
    autocomplete_fields = ["lead_leaders", "lead_units", "member_units"]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["order", "metric", "value", "unit", "comparator", "baseline", "starts_on", "deadline", "recurrence"]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["__str__", "section", "plan"]
    list_filter = ["plan", "section"]
    search_fields = ["title", "body"]
    inlines = [ResponsibilityInline, TargetInline]


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ["measure"]
    list_filter = ["measure__plan"]
    search_fields = ["measure__title", "raw_text"]
    autocomplete_fields = ["lead_leaders", "lead_units", "member_units"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["metric", "measure", "value", "unit", "comparator", "baseline", "deadline", "recurrence"]
    list_filter = ["measure__plan", "comparator", "recurrence"]
    list_editable = ["baseline"]
    search_fields = ["metric", "text"]
    list_select_related = ["measure"]
    autocomplete_fields = ["measure"]


class EvidenceInline(ReadOnlyMixin, admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["original_name", "content_type", "size", "sha256"]
    readonly_fields = fields


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["target", "org_unit", "period_start", "value", "done", "submitted_by", "submitted_at"]
    list_filter = ["target__measure__plan", "period_start", "done"]
    search_fields = ["target__metric", "org_unit__name", "note"]
    list_select_related = ["target", "org_unit", "submitted_by"]
    date_hierarchy = "submitted_at"
    inlines = [EvidenceInline]


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["source_name", "plan", "outcome", "started_at", "by"]
    list_filter = ["outcome"]
