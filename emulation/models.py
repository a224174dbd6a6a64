"""The year's emulation targets (DESIGN §5, formats/scorecard.md) as data.

A target's rule (what value a unit has in a period, and how it is compared) is the code's,
by the target's code; its threshold, title, period and the unit levels it applies to are
data (the unit levels: "district", "association", "commune_association"). A manager's
edit keeps its history (`EmulationTargetRevision`) and an audit event (emulation/services.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Every(models.TextChoices):
    MONTH = "month", _("hằng tháng")
    QUARTER = "quarter", _("hằng quý")


class EmulationTarget(models.Model):
    """One target of a year: T1 … T10 in 2020."""

    year = models.PositiveSmallIntegerField(_("năm"))
    code = models.CharField(_("mã"), max_length=8)
    title = models.CharField(_("chỉ tiêu"), max_length=200)
    every = models.CharField(_("đánh giá"), max_length=8, choices=Every.choices)
    threshold = models.DecimalField(_("ngưỡng"), max_digits=12, decimal_places=6)
    # T8: the share of the interest arrears at the start to be recovered as well
    recovery_threshold = models.DecimalField(
        _("ngưỡng thu lãi tồn đọng"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    levels = models.JSONField(_("cấp áp dụng"), default=list)
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("chỉ tiêu thi đua")
        verbose_name_plural = _("chỉ tiêu thi đua")
        ordering = ["year", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="target_code_once_a_year")]

    def __str__(self):
        return f"{self.year} {self.code}: {self.title}"


class GradingRules(models.Model):
    """The rules of a grading (DESIGN §5) in force from a day on: for groups (monthly:
    criteria with their points and steps, and the bands) or for commune associations
    (quarterly: the three conditions). A month or quarter is graded with the rules in
    force on its last day; a change is a new row from its own day, so the history stays."""

    class Kind(models.TextChoices):
        GROUP = "group", _("xếp loại tổ TK&VV")
        COMMUNE_ASSOCIATION = "commune_association", _("xếp loại tổ chức hội cấp xã")

    kind = models.CharField(_("loại"), max_length=24, choices=Kind.choices)
    effective_on = models.DateField(_("áp dụng từ ngày"))
    rules = models.JSONField(_("tiêu chí"))
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("quy tắc xếp loại")
        verbose_name_plural = _("quy tắc xếp loại")
        ordering = ["kind", "effective_on"]
        constraints = [models.UniqueConstraint(fields=["kind", "effective_on"], name="one_rule_set_a_day")]

    def __str__(self):
        return f"{self.get_kind_display()} từ {self.effective_on:%d/%m/%Y}"


class GroupGrade(models.Model):
    """A group's grade for a month: each criterion's figure and points, the total, the
    band, and the rules it was graded with. Derived, like the stored figures: rebuilt
    when the past changes, checked by `rebuild_figures --check`."""

    month = models.CharField(_("tháng"), max_length=7)  # 2020-01
    month_end = models.DateField(_("ngày cuối tháng"))
    group = models.ForeignKey("groups.SavingsGroup", on_delete=models.CASCADE, related_name="grades")
    association_id = models.BigIntegerField(null=True)  # the group's at the month's last day
    commune_id = models.BigIntegerField()
    rules = models.ForeignKey(GradingRules, on_delete=models.PROTECT, related_name="+")
    criteria = models.JSONField(_("điểm từng tiêu chí"))  # [{code, value, points}, ...]
    points = models.PositiveSmallIntegerField(_("tổng điểm"))
    grade = models.CharField(_("xếp loại"), max_length=16)

    class Meta:
        verbose_name = _("xếp loại tổ")
        verbose_name_plural = _("xếp loại tổ")
        ordering = ["month_end", "group_id"]
        constraints = [models.UniqueConstraint(fields=["month", "group"], name="one_grade_a_group_month")]
        indexes = [models.Index(fields=["month_end", "association_id"], name="groupgrade_month_assoc")]

    def __str__(self):
        return f"{self.month} {self.group_id}: {self.grade}"


class CommuneAssociationGrade(models.Model):
    """A commune association's grade for a quarter, by the three conditions of §5."""

    quarter = models.CharField(_("quý"), max_length=6)  # 2020Q1
    quarter_end = models.DateField(_("ngày cuối quý"))
    commune = models.ForeignKey("groups.Commune", on_delete=models.CASCADE, related_name="+")
    association = models.ForeignKey("groups.Association", on_delete=models.CASCADE, related_name="+")
    rules = models.ForeignKey(GradingRules, on_delete=models.PROTECT, related_name="+")
    conditions = models.JSONField(_("điều kiện"))  # [{code, value, met}, ...]
    grade = models.CharField(_("xếp loại"), max_length=16)

    class Meta:
        verbose_name = _("xếp loại tổ chức hội cấp xã")
        verbose_name_plural = _("xếp loại tổ chức hội cấp xã")
        ordering = ["quarter_end", "commune_id", "association_id"]
        constraints = [
            models.UniqueConstraint(fields=["quarter", "commune", "association"], name="one_grade_a_unit_quarter")
        ]

    def __str__(self):
        return f"{self.quarter} {self.commune_id}/{self.association_id}: {self.grade}"


class EmulationTargetRevision(models.Model):
    """One edit of a target (lần sửa chỉ tiêu): the values it replaced and those it set,
    who made it, when and why. Append-only: the history of a year's targets."""

    target = models.ForeignKey(EmulationTarget, on_delete=models.PROTECT, related_name="revisions")
    before = models.JSONField(_("giá trị trước khi sửa"))  # {field: value} of the fields changed
    after = models.JSONField(_("giá trị sau khi sửa"))
    changed_at = models.DateTimeField(_("thời điểm sửa"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("lý do"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("lần sửa chỉ tiêu")
        verbose_name_plural = _("lần sửa chỉ tiêu")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.target} ({self.changed_at:%d/%m/%Y %H:%M})"
