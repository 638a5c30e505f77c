from django.urls import path, re_path

from . import views

FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})"

urlpatterns = [
    # Also here, where some clients look for it (the spec's own place is /open311/discovery.<format>, api/urls.py).
    re_path(rf"^discovery{FMT}$", views.discovery, name="open311-v2-discovery"),
    re_path(rf"^services{FMT}$", views.services, name="open311-services"),
    re_path(rf"^services/(?P<code>[^/]{{1,100}}?){FMT}$", views.service_definition, name="open311-service"),
    re_path(rf"^requests{FMT}$", views.requests_collection, name="open311-requests"),
    re_path(rf"^requests/(?P<request_id>[^/]{{1,100}}?){FMT}$", views.request_detail, name="open311-request"),
    re_path(rf"^tokens/(?P<token>[^/]{{1,100}}?){FMT}$", views.token_detail, name="open311-token"),
    path("media/<int:pk>", views.media, name="open311-media"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
