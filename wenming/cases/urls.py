from django.urls import path

from . import views, views_intake

app_name = "cases"
urlpatterns: list = [
    path("intake/", views_intake.staff_intake, name="intake"),
    path("", views.office_workbench, name="office"),
    path("export.xlsx", views.office_export, name="export"),
    path("unit/", views.unit_workbench, name="unit"),
    path("unit/export.xlsx", views.unit_export, name="unit_export"),
    path("map/", views.case_map, name="map"),
    path("map.geojson", views.case_map_geojson, name="map_geojson"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.case_action, name="act"),
]
