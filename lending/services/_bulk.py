"""Bulk writes shared by the batch path and the bills cache: chunked IN lists, tuple inserts."""

from django.db import connection


def chunks(values, size: int = 900):
    """Slices of a list small enough for one IN (...) on every backend."""
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def insert_rows(model, fields: list[str], rows, *, constants: dict | None = None, chunk: int = 5000):
    """Insert validated rows as plain tuples: the model layer adds nothing for these
    append-only tables but time (a million instances). Values are ints, strings, dates;
    `constants` ({field: value}) is the same for every row.

    PostgreSQL takes the rows through COPY, in the current transaction (its constraints
    and triggers apply as to INSERT); other databases through batched INSERTs.
    """
    constants = constants or {}
    ops = connection.ops
    columns = [model._meta.get_field(f) for f in [*fields, *constants]]
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c.column) for c in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):
            tail = tuple(constants.values())
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail)
            return
        adapters = {
            "DateTimeField": ops.adapt_datetimefield_value,
            "DateField": ops.adapt_datefield_value,
        }
        adapt = [adapters.get(c.get_internal_type()) for c in columns]
        tail = tuple(
            v if a is None or v is None else a(v) for v, a in zip(constants.values(), adapt[len(fields) :], strict=True)
        )
        adapt = adapt[: len(fields)]
        sql = "INSERT INTO {} ({}) VALUES ({})".format(table, names, ", ".join(["%s"] * len(columns)))
        batch = []
        for row in rows:
            batch.append(tuple(v if a is None or v is None else a(v) for v, a in zip(row, adapt, strict=True)) + tail)
            if len(batch) >= chunk:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def analyze_tables(*models):
    """Refresh the planner statistics of the models' tables (PostgreSQL and SQLite alike)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
