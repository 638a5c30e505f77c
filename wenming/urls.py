from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "文明城市创建管理平台"
admin.site.site_title = "文明"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("wenming.accounts.urls")),
    path("plans/", include("wenming.plans.urls")),
    path("geo/", include("wenming.geo.urls")),
    path("inspections/", include("wenming.inspections.urls")),
    path("cases/", include("wenming.cases.urls")),
    path("assessments/", include("wenming.assessments.urls")),
    path("", include("wenming.api.urls")),
    path("", include("wenming.portal.urls")),
]
# Uploaded files are never served from MEDIA_URL: evidence, case photos and inspection photos each have a view
# that checks who may see them (DESIGN.md §7).
