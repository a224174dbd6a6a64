from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Quản trị hệ thống")
    MANAGER = "manager", _("Lãnh đạo phòng giao dịch")
    STAFF = "staff", _("Cán bộ tín dụng")
    OFFICER = "officer", _("Cán bộ Hội/Đoàn")


class UserProfile(models.Model):
    """A user's role and, for association officers, the scope they may see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("người dùng"),
    )
    role = models.CharField(_("vai trò"), max_length=16, choices=Role.choices)
    association = models.ForeignKey(
        "groups.Association",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("tổ chức hội"),
    )
    commune = models.ForeignKey(
        "groups.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("xã (cán bộ hội cấp xã)"),
    )

    class Meta:
        verbose_name = _("hồ sơ người dùng")
        verbose_name_plural = _("hồ sơ người dùng")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="officer") | models.Q(association__isnull=False),
                name="officer_has_association",
            ),
            models.CheckConstraint(
                condition=models.Q(role="officer") | models.Q(commune__isnull=True),
                name="only_officers_have_commune",
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class AuditEvent(models.Model):
    """One write to the book: who did what, when, with which data. Append-only."""

    occurred_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người thực hiện"),
    )
    action = models.CharField(_("thao tác"), max_length=64, db_index=True)
    object_type = models.CharField(_("loại đối tượng"), max_length=64)
    object_key = models.CharField(_("khóa đối tượng"), max_length=64)
    data = models.JSONField(_("dữ liệu"), default=dict)

    class Meta:
        verbose_name = _("nhật ký thao tác")
        verbose_name_plural = _("nhật ký thao tác")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_key"])]

    def __str__(self):
        return f"{self.occurred_at:%d/%m/%Y %H:%M} {self.action} {self.object_key}"
