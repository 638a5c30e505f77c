from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_reference_data(sender, using="default", **kwargs):
    """Point types, starting checklists and market grade bands on first run (idempotent; never overwrites)."""
    from .services import load_reference_data

    apps = kwargs.get("apps")
    try:
        if apps is not None:
            apps.get_model("inspections", "GradeBand")  # absent when migrated back to zero
    except LookupError:
        return
    if using == "default":
        load_reference_data()


class InspectionsConfig(AppConfig):
    name = "wenming.inspections"
    label = "inspections"
    verbose_name = _("实地测评")

    def ready(self):
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="inspections_reference_data")
