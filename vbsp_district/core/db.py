"""Database helpers every app shares."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def read_snapshot():
    """One consistent, read-only view of the database for a long read (an export),
    taking no lock that would stop others from posting meanwhile.

    On PostgreSQL: a REPEATABLE READ, READ ONLY transaction. On SQLite, where every
    transaction of this app begins IMMEDIATE (writers queue instead of failing), this one
    begins DEFERRED: a reader in WAL mode (see settings) never blocks a writer. Inside
    an outer transaction the outer one's view is used as it is.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()  # the mode is read from the settings on connecting
        mode = connection.transaction_mode
        connection.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic():
                connection.transaction_mode = mode
                yield
        finally:
            connection.transaction_mode = mode
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield
