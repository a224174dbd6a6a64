"""On PostgreSQL the ledger tables refuse UPDATE and DELETE at the database level."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION vbsp_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused (post a reversal instead)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _forward(tables):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # No params: the body's '%' are PL/pgSQL placeholders, not driver placeholders.
        schema_editor.execute(FUNCTION, params=None)
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION vbsp_append_only()"
            )

    return run


def _backward(tables):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")

    return run


def append_only(*tables):
    """A migration operation making `tables` append-only on PostgreSQL."""
    return migrations.RunPython(_forward(tables), _backward(tables))
