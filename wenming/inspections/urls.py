from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/start/", views.round_action, {"action": "start"}, name="round_start"),
    path("rounds/<int:pk>/close/", views.round_action, {"action": "close"}, name="round_close"),
    path("rounds/<int:pk>/points/<int:point_pk>/", views.point_inspect, name="point"),
    path("rounds/<int:pk>/points/<int:point_pk>/items/<int:item_pk>/", views.item_save, name="item_save"),
    path("rounds/<int:pk>/points/<int:point_pk>/finish/", views.inspection_finish, name="finish"),
    path("rounds/<int:pk>/results/", views.round_results, name="results"),
    path("rounds/<int:pk>/results.xlsx", views.round_results_xlsx, name="results_xlsx"),
    path("trend.svg", views.trend_chart, name="trend_chart"),
    path("points/", views.point_list, name="points"),
    path("points/export.xlsx", views.point_export, name="points_export"),
    path("points/import/", views.point_import, name="points_import"),
    path("markets/", views.markets, name="markets"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
