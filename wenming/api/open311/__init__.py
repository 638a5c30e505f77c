"""Open311 GeoReport v2 at /open311/v2/ (standards.md "Open311 GeoReport v2"; spec: wiki.open311.org/GeoReport_v2).

services = public categories, requests = cases, JSON and XML chosen by the path suffix. The wire format is the
spec's, built here from plain dicts, never from the models (STYLE.md).
"""
