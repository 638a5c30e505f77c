from django.urls import path

from . import import_views, views

app_name = "plans"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/charts/<slug:kind>.svg", views.plan_chart, name="plan_chart"),
    path("units/<int:pk>/", views.unit_list, name="unit"),
    path("units/<int:pk>/chart.svg", views.unit_chart, name="unit_chart"),
    path("leaders/<int:pk>/", views.leader_list, name="leader"),
    path("targets/<int:pk>/report/", views.report_progress, name="report"),
    path("targets/<int:pk>/history/", views.target_history, name="history"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("import/", import_views.plan_import, name="import"),
    path("board/", views.board, name="board"),
    path("board.xlsx", views.board_xlsx, name="board_xlsx"),
    path("board/chart.svg", views.board_chart, name="board_chart"),
]
