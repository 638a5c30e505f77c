from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "wenming.geo"
    label = "geo"
    verbose_name = _("辖区与网格")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the index-invalidation receivers; no shapely import)
