"""Mounted at the project root with prefix "": the JSON API, Open311 GeoReport v2 and its service discovery."""

from django.urls import include, path, re_path

from .open311 import urls as open311_urls
from .open311 import views as open311_views
from .v1 import urls as v1_urls

urlpatterns = [
    path("api/v1/", v1_urls()),
    # Open311 Service Discovery: a URL that "will likely not change" and "must end in /discovery.<format>" (spec),
    # above the versioned endpoints it points to.
    re_path(rf"^open311/discovery{open311_urls.FMT}$", open311_views.discovery, name="open311-discovery"),
    path("open311/v2/", include(open311_urls)),
]
