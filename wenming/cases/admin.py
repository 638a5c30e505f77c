"""Admin for the case loop. Status, deadlines and counters are read-only here: they change only through
workflow.transition(). The event log is append-only (DESIGN.md §7): no add, change or delete in the admin."""

from django.contrib import admin

from .models import Case, CaseAttachment, CaseEvent, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code", "kind", "main_class", "name", "responsible_unit", "responsibility_rule",
        "urgent_limit", "urgent_limit_unit", "normal_limit", "normal_limit_unit", "seed_measure_number",
        "is_public", "is_active",
    ]
    list_filter = ["kind", "main_class", "responsibility_rule", "is_public", "is_active"]
    search_fields = ["code", "name", "main_class"]
    autocomplete_fields = ["responsible_unit"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "actor_role", "actor_unit", "note", "public"]
    readonly_fields = fields
    ordering = ["at", "pk"]


class CaseAttachmentInline(ReadOnlyInline):
    model = CaseAttachment
    fields = ["file", "kind", "original_name", "content_type", "size", "sha256"]
    readonly_fields = fields


WORKFLOW_FIELDS = [
    "tracking_code", "status", "assigned_unit", "assignment_final", "due_at", "sign_due_at",
    "extension_requested_until", "satisfaction", "rework_count", "return_count", "extension_count", "reopen_count",
    "is_supervised", "is_exposed", "merged_into", "idempotency_key", "version", "accepted_at", "dispatched_at",
    "signed_at", "handled_at", "closed_at", "created_at", "updated_at", "reporter_user", "channel",
]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["tracking_code", "category", "status", "assigned_unit", "due_at", "channel", "created_at"]
    list_filter = ["status", "channel", "is_supervised", "is_exposed", "category__kind", "category__main_class"]
    search_fields = ["tracking_code", "title", "description", "address"]
    date_hierarchy = "created_at"
    readonly_fields = WORKFLOW_FIELDS
    raw_id_fields = ["grid_cell", "street", "district"]
    inlines = [CaseEventInline]

    def has_add_permission(self, request):
        return False  # reports come in through services.case_report (validation, tracking code, report event)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["case", "action", "from_status", "to_status", "actor", "actor_role", "actor_unit", "at", "public"]
    list_filter = ["action", "actor_role", "public"]
    search_fields = ["case__tracking_code", "note"]
    date_hierarchy = "at"
    inlines = [CaseAttachmentInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
