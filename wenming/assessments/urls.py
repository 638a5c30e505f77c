from django.urls import path

from . import product_views as pv
from . import views

app_name = "assessments"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/metrics.xlsx", views.metrics_xlsx, name="metrics_xlsx"),
    path("dashboard/charts/<slug:name>.svg", views.chart, name="chart"),
    # Periodic products (seed §38/§41)
    path("products/", pv.product_list, name="products"),
    path("products/generate/", pv.product_generate, name="product_generate"),
    path("products/<int:pk>/", pv.product_detail, name="product"),
    path("products/<int:pk>/progress/", pv.product_progress, name="product_progress"),
    path("products/<int:pk>/regenerate/", pv.product_regenerate, name="product_regenerate"),
    path("products/<int:pk>/submit/", pv.product_submit_view, name="product_submit"),
    path("products/<int:pk>/return/", pv.product_return_view, name="product_return"),
    path("products/<int:pk>/publish/", pv.product_publish_view, name="product_publish"),
    path("products/<int:pk>/correct/", pv.product_correct_view, name="product_correct"),
    path("products/<int:pk>/file.<str:fmt>", pv.product_download, name="product_download"),
    path("products/<int:pk>/charts/<slug:chart_id>.svg", pv.product_chart, name="product_chart"),
    path("products/<int:pk>/photos/<int:index>.jpg", pv.product_photo, name="product_photo"),
    # Accountability (seed §41)
    path("accountability/", pv.accountability_list, name="accountability"),
    path("accountability/run/", pv.accountability_run, name="accountability_run"),
    path("accountability/interviews/<int:pk>/", pv.interview_detail, name="interview"),
]
