from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/quick/", views.report_quick, name="report_quick"),
    path("report/duplicates/", views.report_duplicates, name="report_duplicates"),
    path("report/receipt/<str:code>/", views.receipt, name="receipt"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.track_detail, name="track_detail"),
    path("track/<str:code>/callback/", views.track_callback, name="track_callback"),
    path("track/<str:code>/rejection/", views.rejection, name="rejection"),
    path("track/<str:code>/photos/<int:pk>/", views.track_photo, name="track_photo"),
    path("exposure/", views.exposure, name="exposure"),
    path("exposure/photos/<int:pk>/", views.exposure_photo, name="exposure_photo"),
]
