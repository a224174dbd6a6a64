"""A write of the book, and what must follow it inside the same transaction.

`book_write` wraps a service in a transaction. The saves inside it may leave notes
(`write_notes()`) of what they changed; when the outermost book write ends without an
error, `book_written(notes=…)` is sent while its transaction is still open, so that the
facts derived from the book (reporting's stored figures) are brought up to date before
anything commits, or not at all. Outside a book write (the admin, a shell, a bulk
import) `write_notes()` is None and the listeners fall back on their own means.
"""

import functools
import threading

from django.db import transaction
from django.dispatch import Signal

book_written = Signal()

_local = threading.local()


def write_notes() -> dict | None:
    """The notes of the book write under way in this thread (None outside one)."""
    return getattr(_local, "notes", None)


def book_write(func):
    """Run `func` as one write of the book (nested writes join the outermost one)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if write_notes() is not None:
            with transaction.atomic():
                return func(*args, **kwargs)
        _local.notes = notes = {}
        try:
            with transaction.atomic():
                result = func(*args, **kwargs)
                _local.notes = None
                if notes:
                    book_written.send(sender=func, notes=notes)
                return result
        finally:
            _local.notes = None

    return wrapper
