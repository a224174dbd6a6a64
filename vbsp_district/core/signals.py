"""Signals the domain sends about the book, for the layers above it to listen to.

`book_changed(day=…)`: a bulk write (the batch path, a rebuild of the interest bills)
changed figures from `day` on (None: from the first day of the book). Single-record
writes need not send it: their rows' own saves say the same (reporting/signals.py).

`quarter_closed(period=…, acting_user=…)`: a manager closed a quarter; sent inside the
closing's transaction (the quarterly reports are issued then, reports/apps.py).
"""

from django.dispatch import Signal

book_changed = Signal()
quarter_closed = Signal()
