from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("units/<int:pk>/", views.unit_list, name="unit"),
    path("leaders/<int:pk>/", views.leader_list, name="leader"),
    path("board/", views.board, name="board"),
]
