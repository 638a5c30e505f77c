from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Leader, Membership, OrgUnit, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["org_unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "phone", "is_active", "locked_until"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("平台"), {"fields": ("display_name", "phone", "failed_logins", "locked_until")}))


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "aliases"]
    autocomplete_fields = ["parent"]


@admin.register(Leader)
class LeaderAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "org_unit"]
    search_fields = ["name", "position"]
    autocomplete_fields = ["org_unit", "user"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "org_unit", "role"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "org_unit"]
