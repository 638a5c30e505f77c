from django.urls import path

from . import views_intake

app_name = "cases"
urlpatterns: list = [
    path("intake/", views_intake.staff_intake, name="intake"),
]
