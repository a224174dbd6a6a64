"""The stored figures of ended periods (issue 9; docs/design/stored-figures.md).

For every ended month, quarter and year the store keeps what `BookQuery` reduces the book
to: `cube`, the figures summed per (association, commune, group, program), and
`borrower_keys`, the distinct borrowers with their keys. Every figure of a report over
that period is a sum (or a distinct count) of these rows, so a page or a series over past
periods reads a few thousand rows instead of the ledger. Today's stock figures are kept
the same way, as a period of kind `day` labelled YYYYMMDD (used on that day only).

They are derived facts, like the interest bills: built by `rebuild_figures`, brought up to
date by every write of the book in its own transaction (reporting/signals.py), checked
against the live statement by `rebuild_figures --check`. A row saved outside the app's
writes marks them stale instead, and they are computed live until rebuilt.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .periods import Period
from .sql import PERIOD_COLUMNS, STOCK_COLUMNS


class StoredPeriod(models.Model):
    class Kind(models.TextChoices):
        MONTH = "month", _("tháng")
        QUARTER = "quarter", _("quý")
        YEAR = "year", _("năm")
        DAY = "day", _("ngày hôm nay")

    label = models.CharField(_("kỳ"), max_length=8, unique=True)
    kind = models.CharField(_("loại kỳ"), max_length=8, choices=Kind.choices)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"), db_index=True)
    built_at = models.DateTimeField(_("thời điểm tính"))
    stale = models.BooleanField(_("cần tính lại"), default=False)
    # one more at every settle: today's figures' revision is the book's (reporting/cache.py)
    revision = models.PositiveBigIntegerField(_("lần cập nhật"), default=0)

    class Meta:
        verbose_name = _("kỳ đã lưu số liệu")
        verbose_name_plural = _("kỳ đã lưu số liệu")
        ordering = ["end", "start"]

    def __str__(self):
        return self.label

    def as_period(self) -> Period | None:
        """The period whose flows are stored (None for today's figures: stock only)."""
        return None if self.kind == self.Kind.DAY else Period.parse(self.label)


def _figure_fields() -> dict:
    return {name: models.BigIntegerField(default=0) for name in (*STOCK_COLUMNS, *PERIOD_COLUMNS)}


class PeriodCube(models.Model):
    """One row of `cube` for a stored period: the keys (ids; none where a figure has no
    value for a key) and the figures. Ids, not foreign keys: the rows are rebuilt, never
    joined to edit anything."""

    period = models.ForeignKey(StoredPeriod, on_delete=models.CASCADE, related_name="cube")
    association_id = models.BigIntegerField(null=True)
    commune_id = models.BigIntegerField(null=True)
    group_id = models.BigIntegerField(null=True)
    program_id = models.BigIntegerField(null=True)
    locals().update(_figure_fields())

    class Meta:
        # a period's rows of one association, one commune (the officers' and the commune
        # pages' reads) or one group (a write's settle)
        indexes = [
            models.Index(fields=["period", "association_id"], name="periodcube_period_assoc"),
            models.Index(fields=["period", "commune_id"], name="periodcube_period_commune"),
            models.Index(fields=["period", "group_id"], name="periodcube_period_group"),
        ]

    def __str__(self):
        return f"{self.period_id}: {self.association_id}/{self.commune_id}/{self.group_id}/{self.program_id}"


class PeriodTotal(models.Model):
    """The cube rows of a stored period summed over groups: one row per (association,
    commune, program). Derived from `PeriodCube` whenever its rows change (the store's
    build and settle), so that a series over many months reads a tenth of the rows."""

    period = models.ForeignKey(StoredPeriod, on_delete=models.CASCADE, related_name="totals")
    association_id = models.BigIntegerField(null=True)
    commune_id = models.BigIntegerField(null=True)
    program_id = models.BigIntegerField(null=True)
    locals().update(_figure_fields())

    def __str__(self):
        return f"{self.period_id}: {self.association_id}/{self.commune_id}/{self.program_id}"


class PeriodBorrower(models.Model):
    """One row of `borrower_keys` for a stored period: a borrower with outstanding > 0 at
    the period's end, and the keys of one of their loans."""

    period = models.ForeignKey(StoredPeriod, on_delete=models.CASCADE, related_name="borrowers")
    association_id = models.BigIntegerField(null=True)
    commune_id = models.BigIntegerField(null=True)
    group_id = models.BigIntegerField(null=True)
    program_id = models.BigIntegerField(null=True)
    borrower_id = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["period", "association_id"], name="periodborrower_period_assoc"),
            models.Index(fields=["period", "commune_id"], name="periodborrower_period_commune"),
            models.Index(fields=["period", "group_id"], name="periodborrower_period_group"),
        ]

    def __str__(self):
        return f"{self.period_id}: {self.borrower_id}"


class Revision(models.Model):
    """A counter bumped by every write of the records that figures kept between requests
    read besides the book (reporting/cache.py): meetings, news items, grading rules, the
    organization's names and transaction days. A row of its own, so that these writes
    never wait on the stored periods the book's writes lock."""

    name = models.CharField(_("tên"), max_length=32, unique=True)
    number = models.PositiveBigIntegerField(_("số lần ghi"), default=0)

    class Meta:
        verbose_name = _("số lần ghi")
        verbose_name_plural = _("số lần ghi")

    def __str__(self):
        return f"{self.name}: {self.number}"
