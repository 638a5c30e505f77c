"""The standards.md default MetricScheme, created once (idempotent: an existing row of that name is kept)."""

from django.db import migrations


def create_default(apps, schema_editor):
    from wenming.assessments.models import ensure_default_scheme

    ensure_default_scheme(apps.get_model("assessments", "MetricScheme"))


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
