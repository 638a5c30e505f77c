"""Admin for inspections. A frozen checklist (used by a round) is read-only here: changes go into a new version
(the "复制为新版本" action), so past rounds keep the standards they were scored against."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    Checklist,
    ChecklistItem,
    GradeBand,
    Inspection,
    InspectionPoint,
    ItemPhoto,
    ItemScore,
    PointType,
    Round,
    RoundChecklist,
    RoundPoint,
)


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    extra = 0


@admin.register(PointType)
class PointTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "manual_name", "graded", "order"]
    list_editable = ["order"]
    search_fields = ["name", "code"]
    inlines = [GradeBandInline]


@admin.register(GradeBand)
class GradeBandAdmin(admin.ModelAdmin):
    list_display = ["point_type", "grade", "label", "min_rate"]
    list_filter = ["point_type"]


@admin.register(InspectionPoint)
class InspectionPointAdmin(admin.ModelAdmin):
    list_display = ["name", "point_type", "district", "street", "responsible_unit", "is_active"]
    list_filter = ["point_type", "is_active", "district"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["responsible_unit"]
    readonly_fields = ["grid_cell", "street", "district"]

    def save_model(self, request, obj, form, change):
        # Fill grid cell, street and district from the coordinates (geo.locate), as imports do.
        services.point_save(point=obj)


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["order", "code", "text", "points", "method", "category_name"]

    def _editable(self, obj):
        return obj is None or not obj.is_frozen

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ["point_type", "year", "version", "title", "is_active", "frozen_at"]
    list_filter = ["point_type", "year", "is_active"]
    readonly_fields = ["frozen_at", "previous"]
    inlines = [ChecklistItemInline]
    actions = ["new_version"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return ["point_type", "year", "version", "title", "note", "frozen_at", "previous"]
        return super().get_readonly_fields(request, obj)

    @admin.action(description=_("复制为新版本（可编辑）"))
    def new_version(self, request, queryset):
        for checklist in queryset:
            copy = services.checklist_new_version(checklist=checklist)
            self.message_user(request, _("已创建 %(c)s") % {"c": copy}, messages.SUCCESS)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "points", "method", "category_name", "checklist"]
    list_filter = ["checklist__point_type", "method"]
    search_fields = ["code", "text", "category_name"]

    def has_change_permission(self, request, obj=None):
        frozen = obj is not None and obj.checklist.is_frozen
        return not frozen and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        frozen = obj is not None and obj.checklist.is_frozen
        return not frozen and super().has_delete_permission(request, obj)


class RoundPointInline(admin.TabularInline):
    model = RoundPoint
    extra = 0
    autocomplete_fields = ["point"]


class RoundChecklistInline(admin.TabularInline):
    model = RoundChecklist
    extra = 0
    can_delete = False
    readonly_fields = ["point_type", "checklist"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date", "status"]
    list_filter = ["status"]
    search_fields = ["name"]
    filter_horizontal = ["inspectors", "point_types", "districts"]
    readonly_fields = ["status", "started_at", "closed_at", "created_by"]
    inlines = [RoundPointInline, RoundChecklistInline]


class ItemPhotoInline(admin.TabularInline):
    model = ItemPhoto
    extra = 0
    fields = ["file", "original_name", "content_type", "size", "sha256", "uploaded_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ItemScore)
class ItemScoreAdmin(admin.ModelAdmin):
    list_display = ["inspection", "item", "score", "passed", "scored_by", "scored_at", "case"]
    list_filter = ["passed", "inspection__round"]
    readonly_fields = ["inspection", "item", "score", "passed", "note", "version", "scored_by", "scored_at", "case"]
    inlines = [ItemPhotoInline]

    def has_add_permission(self, request):
        return False


class ItemScoreInline(admin.TabularInline):
    model = ItemScore
    extra = 0
    fields = ["item", "score", "passed", "note", "scored_by", "scored_at", "case"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["round", "point", "inspector", "started_at", "finished_at"]
    list_filter = ["round"]
    search_fields = ["point__name"]
    inlines = [ItemScoreInline]


@admin.register(ItemPhoto)
class ItemPhotoAdmin(admin.ModelAdmin):
    list_display = ["item_score", "original_name", "content_type", "size", "created_at"]
    readonly_fields = ["item_score", "file", "original_name", "content_type", "size", "sha256", "uploaded_by",
                       "created_at"]

    def has_add_permission(self, request):
        return False
