"""Issued quarterly reports: a closed quarter's figures, kept as they were sent out."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IssuedReport(models.Model):
    """The report of a closed quarter (the office's, or one association's), issued once: the
    figures as canonical JSON, their SHA-256, when and by whom. Downloading it again writes
    these figures; never edited or deleted (append-only on PostgreSQL)."""

    closed_period = models.ForeignKey(
        "lending.ClosedPeriod", on_delete=models.PROTECT, related_name="+", verbose_name=_("kỳ khóa sổ")
    )
    quarter = models.CharField(_("quý"), max_length=6)  # 2020Q1
    association = models.ForeignKey(
        "groups.Association", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: the office's report
    issued_at = models.DateTimeField(_("thời điểm phát hành"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: issued by `manage.py quarterly_report`
    sha256 = models.CharField(_("mã băm số liệu"), max_length=64)
    figures = models.TextField(_("số liệu (JSON)"))

    class Meta:
        verbose_name = _("báo cáo quý đã phát hành")
        verbose_name_plural = _("báo cáo quý đã phát hành")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["closed_period"], condition=models.Q(association__isnull=True), name="one_office_report"
            ),
            models.UniqueConstraint(fields=["closed_period", "association"], name="one_association_report"),
        ]

    def __str__(self):
        return f"{self.quarter} {self.association_id or 'PGD'} {self.sha256[:12]}"
