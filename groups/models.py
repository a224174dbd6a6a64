from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from vbsp_district.core.months import MonthlyDay

national_id_validator = RegexValidator(r"^([0-9]{9}|[0-9]{12})$", _("Số CCCD/CMND phải gồm 9 hoặc 12 chữ số."))


class Association(models.Model):
    """Tổ chức chính trị - xã hội nhận ủy thác: one of the four entrusted associations."""

    code = models.CharField(_("mã"), max_length=8, unique=True)
    name = models.CharField(_("tên"), max_length=100)
    short_name = models.CharField(_("tên ngắn"), max_length=40)
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("tổ chức hội")
        verbose_name_plural = _("tổ chức hội")
        ordering = ["position"]

    def __str__(self):
        return self.name


class Commune(models.Model):
    """Xã / thị trấn, with its monthly transaction day (ngày giao dịch xã): the day in
    force today; its history is `CommuneTransactionDay`."""

    class Kind(models.TextChoices):
        COMMUNE = "xa", _("Xã")
        TOWN = "thi_tran", _("Thị trấn")

    code = models.CharField(_("mã xã"), max_length=16, unique=True)
    name = models.CharField(_("tên xã"), max_length=100)
    kind = models.CharField(_("loại"), max_length=8, choices=Kind.choices, default=Kind.COMMUNE)
    transaction_day = models.PositiveSmallIntegerField(
        _("ngày giao dịch xã"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    # the first day of `transaction_day` (None: the commune has always had it)
    transaction_day_from = models.DateField(_("ngày giao dịch áp dụng từ"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("xã / thị trấn")
        verbose_name_plural = _("xã / thị trấn")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(transaction_day__gte=1, transaction_day__lte=31),
                name="commune_transaction_day_1_31",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"

    def get_absolute_url(self):
        return reverse("commune_detail", args=[self.code])

    @property
    def transaction_days(self) -> MonthlyDay:
        """Its transaction day through time; a query (once) only when it has ever changed."""
        if self.transaction_day_from is None:
            return MonthlyDay(self.transaction_day)
        return self._history_days

    @cached_property
    def _history_days(self) -> MonthlyDay:
        return monthly_day(self.transaction_day, self.day_history.values_list("effective_on", "day"))


def monthly_day(current: int, history) -> MonthlyDay:
    """A commune's transaction day through time from its history's (effective_on, day)
    rows (none: `current` always)."""
    first, changes = current, []
    for effective_on, day in history:
        if effective_on is None:
            first = day
        else:
            changes.append((effective_on, day))
    return MonthlyDay.of(first, changes)


class CommuneTransactionDay(models.Model):
    """A commune's transaction day from `effective_on` on (dated, never edited).

    The row without a date is the day the commune kept before its first change; a commune
    without rows has always had `Commune.transaction_day`, which is always the day in
    force today (`groups.services.commune_transaction_day_change` keeps both). A change
    takes effect on a month's first day: each month has one transaction day.
    """

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="day_history", verbose_name=_("xã"))
    day = models.PositiveSmallIntegerField(
        _("ngày giao dịch xã"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    effective_on = models.DateField(_("hiệu lực từ ngày"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ngày giao dịch xã theo thời gian")
        verbose_name_plural = _("ngày giao dịch xã theo thời gian")
        ordering = ["commune", "effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "effective_on"], name="one_transaction_day_per_commune_day"),
            models.UniqueConstraint(
                fields=["commune"], condition=models.Q(effective_on__isnull=True), name="one_first_transaction_day"
            ),
            models.CheckConstraint(
                condition=models.Q(day__gte=1, day__lte=31), name="commune_transaction_day_history_1_31"
            ),
        ]

    def __str__(self):
        since = f"{self.effective_on:%d/%m/%Y}" if self.effective_on else "ban đầu"
        return f"{self.commune.code}: ngày {self.day} ({since})"


class CommuneAssociation(models.Model):
    """Hội cấp xã: one association's unit in one commune."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, verbose_name=_("xã"))
    association = models.ForeignKey(Association, on_delete=models.PROTECT, verbose_name=_("tổ chức hội"))
    chair_name = models.CharField(_("chủ tịch / bí thư"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("hội cấp xã")
        verbose_name_plural = _("hội cấp xã")
        constraints = [
            models.UniqueConstraint(fields=["commune", "association"], name="one_unit_per_commune_association")
        ]

    def __str__(self):
        return f"{self.association.short_name} {self.commune.name}"


# -- "in force on day D": the one definition of each dated relation -----------------------
# A membership is in force at the end of D when joined_on ≤ D and (no left_on or
# left_on ≥ D): a member who left on L is in the group on L. A group's association at D
# is that of its latest assignment dated ≤ D (before the first, the first one). Ties on
# the date (never allowed by the constraints, but written down once) go to the highest id.


def in_force_on(joined_on, left_on, day) -> bool:
    """The same rule in Python, for periods already in memory (MembershipQuerySet.in_force)."""
    return joined_on <= day and (left_on is None or left_on >= day)


def active_on_q(day, prefix: str = "") -> Q:
    """A group active on `day`: founded by it and not dissolved by it (DESIGN §4, counts),
    as a condition on the group reached through `prefix` (such as "group__")."""
    return Q(**{f"{prefix}founded_on__lte": day}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gt": day})
    )


class GroupQuerySet(models.QuerySet):
    def active_on(self, day):
        """Groups founded by `day` and not dissolved by it (DESIGN §4, counts)."""
        return self.filter(active_on_q(day))

    def with_association(self, day, field: str = "association_id", name: str = "association_on"):
        """Annotate `name`: `field` of the association managing each group at `day`."""
        return self.annotate(
            **{
                name: Coalesce(
                    Subquery(GroupAssignment.objects.in_force_of(OuterRef("pk"), day).values(field)[:1]),
                    Subquery(GroupAssignment.objects.first_of(OuterRef("pk")).values(field)[:1]),
                )
            }
        )


class AssignmentQuerySet(models.QuerySet):
    def in_force_of(self, group, day):
        """The group's assignments dated ≤ `day`, the one in force first."""
        return self.filter(group=group, effective_on__lte=day).order_by("-effective_on", "-id")

    def first_of(self, group):
        return self.filter(group=group).order_by("effective_on", "id")


class MembershipQuerySet(models.QuerySet):
    def in_force(self, day):
        """Memberships in force at the end of `day` (left_on counts as in)."""
        return self.filter(joined_on__lte=day).filter(Q(left_on__isnull=True) | Q(left_on__gte=day))

    def open(self):
        """Memberships with no end: where each member is today."""
        return self.filter(left_on__isnull=True)

    def attributing(self, day):
        """Memberships begun by `day`, the one that attributes the member at `day` first:
        the one in force, or else the last one the member was in (DESIGN §4)."""
        return self.filter(joined_on__lte=day).order_by("-joined_on", "-id")


def billing_days(own: MonthlyDay, periods) -> MonthlyDay:
    """The transaction day a member is billed on through time (DESIGN §4): their own
    commune's `own` before their first group, then from the day they join each group (in
    `periods`, (joined_on, id, the group's commune's MonthlyDay)) that commune's, in force
    at each date. A member who leaves stays on their last group's commune's day, as DESIGN
    §4 attributes them to it."""
    periods = sorted(periods, key=lambda p: p[:2])
    if not periods:
        return own
    changes = [c for c in own.changes if c[0] < periods[0][0]]
    for i, (start, _pk, days) in enumerate(periods):
        end = periods[i + 1][0] if i + 1 < len(periods) else None
        changes.append((start, days.day_on(start)))
        changes += [c for c in days.changes if start < c[0] and (end is None or c[0] < end)]
    return MonthlyDay.of(own.day, changes)


class SavingsGroup(models.Model):
    """Tổ TK&VV: a savings-and-loan group of one village, managed by one association."""

    code = models.CharField(_("mã tổ"), max_length=20, unique=True)
    name = models.CharField(_("tên tổ"), max_length=150)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, verbose_name=_("xã"))
    village = models.CharField(_("thôn / xóm"), max_length=100, blank=True)
    leader_name = models.CharField(_("tổ trưởng"), max_length=100, blank=True)
    meeting_day = models.PositiveSmallIntegerField(
        _("ngày sinh hoạt tổ"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    founded_on = models.DateField(_("ngày thành lập"))
    dissolved_on = models.DateField(_("ngày giải thể"), null=True, blank=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("tổ TK&VV")
        verbose_name_plural = _("tổ TK&VV")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dissolved_on__isnull=True) | models.Q(dissolved_on__gte=models.F("founded_on")),
                name="group_dissolved_after_founded",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("group_detail", args=[self.code])


class GroupAssignment(models.Model):
    """The association that manages a group from `effective_on` on (dated, never edited)."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("tổ"))
    association = models.ForeignKey(Association, on_delete=models.PROTECT, verbose_name=_("tổ chức hội quản lý"))
    effective_on = models.DateField(_("hiệu lực từ ngày"))
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("phân công hội quản lý tổ")
        verbose_name_plural = _("phân công hội quản lý tổ")
        ordering = ["group", "effective_on"]
        constraints = [models.UniqueConstraint(fields=["group", "effective_on"], name="one_assignment_per_group_day")]

    def __str__(self):
        return f"{self.group.code} → {self.association.code} ({self.effective_on:%d/%m/%Y})"


class Member(models.Model):
    """Tổ viên / hộ vay: a borrower household, keyed by its national ID (CCCD/CMND)."""

    class Gender(models.TextChoices):
        MALE = "nam", _("Nam")
        FEMALE = "nu", _("Nữ")

    national_id = models.CharField(_("số CCCD/CMND"), max_length=12, unique=True, validators=[national_id_validator])
    full_name = models.CharField(_("họ và tên"), max_length=100)
    gender = models.CharField(_("giới tính"), max_length=3, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("năm sinh"), null=True, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, verbose_name=_("xã"))
    village = models.CharField(_("thôn / xóm"), max_length=100, blank=True)
    household_category = models.CharField(_("đối tượng hộ"), max_length=50, blank=True)
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)

    class Meta:
        verbose_name = _("tổ viên")
        verbose_name_plural = _("tổ viên")
        ordering = ["full_name", "national_id"]

    def __str__(self):
        return f"{self.full_name} ({self.national_id})"

    def get_absolute_url(self):
        return reverse("member_detail", args=[self.national_id])


class Membership(models.Model):
    """A member's period in a group; periods of one member never overlap.

    `left_on` is the last day in the group: the member is in the group on that day.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("tổ viên"))
    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("tổ"))
    joined_on = models.DateField(_("ngày vào tổ"))
    left_on = models.DateField(_("ngày rời tổ"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("thời gian sinh hoạt tổ")
        verbose_name_plural = _("thời gian sinh hoạt tổ")
        ordering = ["member", "joined_on"]
        indexes = [models.Index(fields=["member", "joined_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True) | models.Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joined",
            )
        ]

    def __str__(self):
        return f"{self.member.national_id} @ {self.group.code}"


class GroupMeeting(models.Model):
    """Buổi sinh hoạt tổ: a group meeting, held before the commune transaction day."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("tổ"))
    held_on = models.DateField(_("ngày họp"))
    attendees = models.PositiveIntegerField(_("số người dự"), null=True, blank=True)
    notes = models.TextField(_("nội dung"), blank=True)

    class Meta:
        verbose_name = _("buổi họp tổ")
        verbose_name_plural = _("buổi họp tổ")
        ordering = ["-held_on"]
        constraints = [models.UniqueConstraint(fields=["group", "held_on"], name="one_meeting_per_group_day")]

    def __str__(self):
        return f"{self.group.code} {self.held_on:%d/%m/%Y}"


class Training(models.Model):
    """Lớp tập huấn for commune association officers and group boards."""

    held_on = models.DateField(_("ngày tập huấn"))
    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("tổ chức hội")
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("xã"))
    organizer = models.CharField(_("đơn vị tổ chức"), max_length=100, blank=True)
    audience = models.CharField(_("đối tượng"), max_length=200)
    trainees = models.PositiveIntegerField(_("số học viên"))
    planned = models.PositiveIntegerField(_("số học viên kế hoạch"), null=True, blank=True)

    class Meta:
        verbose_name = _("lớp tập huấn")
        verbose_name_plural = _("lớp tập huấn")
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.held_on:%d/%m/%Y} {self.audience}"


class NewsItem(models.Model):
    """Tin bài tuyên truyền: a news item about policy credit on one channel."""

    class Channel(models.TextChoices):
        TV = "tv", _("Truyền hình")
        NEWSPAPER = "newspaper", _("Báo địa phương")
        SECTOR_NEWSPAPER = "sector_newspaper", _("Báo ngành")
        PROVINCE_PORTAL = "province_portal", _("Cổng thông tin tỉnh")
        DISTRICT_PORTAL = "district_portal", _("Cổng thông tin huyện")
        COMMUNE_LOUDSPEAKER = "commune_loudspeaker", _("Đài truyền thanh xã")

    published_on = models.DateField(_("ngày đăng"))
    association = models.ForeignKey(Association, on_delete=models.PROTECT, verbose_name=_("tổ chức hội"))
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("xã"))
    channel = models.CharField(_("kênh"), max_length=24, choices=Channel.choices)
    title = models.CharField(_("tiêu đề"), max_length=300)

    class Meta:
        verbose_name = _("tin bài")
        verbose_name_plural = _("tin bài")
        ordering = ["-published_on"]

    def __str__(self):
        return self.title
