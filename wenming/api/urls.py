"""Mounted at the project root with prefix "": the JSON API and Open311 GeoReport v2."""

from django.urls import include, path

from .open311 import urls as open311_urls
from .v1 import urls as v1_urls

urlpatterns = [
    path("api/v1/", v1_urls()),
    path("open311/v2/", include(open311_urls)),
]
