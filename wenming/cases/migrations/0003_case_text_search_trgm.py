"""PostgreSQL only: trigram indexes so the workbench's text search (description, title, address contains …) does not
scan a million cases. Django's icontains compiles to UPPER(col::text) LIKE UPPER('%…%'), hence the expression.

pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it; where that is refused the
search still works, unindexed, and a warning says why. SQLite is left as it is.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger("wenming")

INDEXES = {
    "case_description_trgm": "description",
    "case_address_trgm": "address",
    "case_title_trgm": "title",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for name, column in INDEXES.items():
                schema_editor.execute(
                    f'CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin (UPPER("{column}"::text) gin_trgm_ops)'
                )
    except Exception as exc:  # noqa: BLE001 - an optional speed-up must never block a deployment
        logger.warning("pg_trgm text-search indexes not created (%s); case text search runs unindexed", exc)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("cases", "0002_workbench_indexes_notifications")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
