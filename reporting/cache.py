"""Figures kept between requests while nothing they read has changed.

A live statement over the ledger (the month, quarter or year so far; a loan-by-loan
list) takes a second or more on a district's book, and a dashboard asks for several.
Their results are kept in the `figures` cache under a key made of what was asked and of
the book's state, read first, in one query:

- today's stored figures (reporting/store.py): their id and build time, and their
  revision, which every write of the book bumps when it settles the stored periods, in its
  own transaction (the row is already locked by then, so no write waits longer). A write
  outside the app's writes marks them stale: nothing is kept then, every figure is
  computed live until `rebuild_figures` builds them again.
- the `records` counter (`Revision`), bumped by every save or delete of the other records
  kept facts read (meetings, news items, grading rules, associations, communes).
- the database's name and, on PostgreSQL, its id: a database dropped and restored from a
  backup is a new one (its revisions start again from the backup's); on SQLite, where
  the file is the database, empty the cache after putting back an older file.

Any such write changes the state, so the figures kept under the old one are never read
again: what is read from here is what a live computation would give at that moment. The
state is read before the figures are computed; a write committed in between gives
figures newer than their key, which no later request asks for. Nothing is kept from
inside a write of the book, which reads what it has not committed yet.
"""

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from vbsp_district.core.writes import write_notes

from .models import Revision, StoredPeriod

RECORDS = "records"
ALIAS = "figures"
T = TypeVar("T")


@functools.cache
def _code() -> str:
    """The application's code, hashed once per process: what an older version kept (in
    another shape, or computed by rules since changed) is never read by a newer one."""
    digest = hashlib.sha256()
    for app in apps.get_app_configs():
        root = Path(app.path)
        if not root.is_relative_to(settings.BASE_DIR) or "site-packages" in root.parts:
            continue  # Django's and the libraries' apps
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def book_state() -> tuple | None:
    """What the kept figures depend on, or None when today's stored figures are missing
    or stale (nothing is kept then)."""
    today = timezone.localdate()
    # PostgreSQL: the database's own id, new whenever it is created again, so that a
    # backup restored and then written to never meets what was kept before the restore
    database = "(SELECT oid FROM pg_database WHERE datname = current_database())"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sp.id, sp.built_at, sp.revision,"
            " (SELECT r.number FROM reporting_revision r WHERE r.name = %s),"
            f" {database if connection.vendor == 'postgresql' else 'NULL'}"
            " FROM reporting_storedperiod sp WHERE sp.label = %s AND sp.kind = %s AND sp.stale = %s",
            [RECORDS, f"{today:%Y%m%d}", StoredPeriod.Kind.DAY, False],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, built_at, revision, records, database_id = row
    return (connection.settings_dict["NAME"], database_id, today.isoformat(), pk, str(built_at), revision, records or 0)


def kept(name: str, parts: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, kept under (name, parts) for the book's present state. `parts` must
    name everything the result depends on besides the book (dates, periods, scope), with a
    stable repr."""
    if write_notes() is not None:
        return compute()  # inside a write: what it reads may not be committed, or may be undone
    state = book_state()
    if state is None:
        return compute()
    key = f"{name}:" + hashlib.sha256(repr((_code(), state, parts)).encode()).hexdigest()
    cache = caches[ALIAS]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value


def bump_records(**kwargs):
    """A record kept facts read was saved or deleted: what was kept no longer holds."""
    if Revision.objects.filter(name=RECORDS).update(number=F("number") + 1):
        return
    try:
        with transaction.atomic():
            Revision.objects.create(name=RECORDS, number=1)
    except IntegrityError:  # created by a concurrent write meanwhile
        Revision.objects.filter(name=RECORDS).update(number=F("number") + 1)
