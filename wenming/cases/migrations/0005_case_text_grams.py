"""PostgreSQL only: one index of the case text's characters and character pairs, for the workbench's text search.

The trigram indexes of 0003 cannot answer a search of one or two characters — the usual length of a Chinese word
(井盖, 路灯, 占道) — so such a search read the table: 2.5–5 s for a rare word at a million cases (bench/lists.py).
`wm_case_grams(title, description, address)` gives the upper-cased pairs of characters of the three fields (each
field on its own: no pair across a field boundary) and their single Chinese characters (one-character words are
common: 树, 狗, 井, 墙); a GIN index over it finds the cases containing every pair of the query, or its one Chinese
character, and wm_case_text_has then checks the exact text. The one index replaces the three trigram indexes.
Single Latin letters, digits and punctuation are left out: they would make the index much bigger for searches
nobody makes (such a one-character query reads the newest cases instead).

Where the function or index cannot be created the search still works, unindexed (cases.selectors checks for the
function), and a warning says why. SQLite is left as it is.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger("wenming")

CASE_GRAMS = """
CREATE OR REPLACE FUNCTION wm_case_grams(title text, description text, address text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(g), '{}')
  FROM unnest(ARRAY[upper(title), upper(description), upper(address)]) AS f(u),
       generate_series(1, char_length(f.u)) AS i,
       LATERAL (SELECT substr(f.u, i, 2) WHERE i < char_length(f.u)
                UNION ALL
                SELECT substr(f.u, i, 1) WHERE ascii(substr(f.u, i, 1)) BETWEEN 13312 AND 40959) AS s(g)
  WHERE btrim(g) <> ''
$$
"""
# What a query asks for: its pairs (all must be among the case's), or its one character when that is Chinese.
QUERY_GRAMS = """
CREATE OR REPLACE FUNCTION wm_query_grams(q text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN char_length(q) = 1 THEN ARRAY[upper(q)]
              ELSE ARRAY(SELECT DISTINCT substr(upper(q), i, 2) FROM generate_series(1, char_length(q) - 1) AS i)
         END
$$
"""
# The exact check, as icontains means it (upper-cased, the query taken literally). A function rather than three
# LIKEs: the planner would take each LIKE for a rare match on top of the pairs and sort every match of a common
# word, where walking the newest cases and stopping at a page is a hundred times faster.
TEXT_HAS = """
CREATE OR REPLACE FUNCTION wm_case_text_has(title text, description text, address text, q text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT strpos(upper(description), upper(q)) > 0 OR strpos(upper(title), upper(q)) > 0
         OR strpos(upper(address), upper(q)) > 0
$$
"""
INDEX = "CREATE INDEX IF NOT EXISTS case_text_grams ON cases_case USING gin (wm_case_grams(title, description, address))"
OLD_TRIGRAM_INDEXES = ("case_description_trgm", "case_address_trgm", "case_title_trgm")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(CASE_GRAMS)
            schema_editor.execute(QUERY_GRAMS)
            schema_editor.execute(TEXT_HAS)
            schema_editor.execute(INDEX)
            for name in OLD_TRIGRAM_INDEXES:
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    except Exception as exc:  # noqa: BLE001 - an optional speed-up must never block a deployment
        logger.warning("case text-search index not created (%s); the trigram indexes stay in use", exc)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS case_text_grams")
    schema_editor.execute("DROP FUNCTION IF EXISTS wm_query_grams(text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS wm_case_text_has(text, text, text, text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS wm_case_grams(text, text, text)")
    for name, column in (("case_description_trgm", "description"), ("case_address_trgm", "address"),
                         ("case_title_trgm", "title")):
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin '
                                      f'(UPPER("{column}"::text) gin_trgm_ops)')
        except Exception as exc:  # noqa: BLE001 - pg_trgm may be missing; the search then runs unindexed
            logger.warning("trigram index %s not restored (%s)", name, exc)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("cases", "0004_metric_indexes")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
