from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/metrics.xlsx", views.metrics_xlsx, name="metrics_xlsx"),
    path("dashboard/charts/<slug:name>.svg", views.chart, name="chart"),
]
