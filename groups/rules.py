"""The rules of the organization, one function each, shared by both write paths.

The single-record services (`groups.services`) and the batch path
(`lending.services.batch`) call these with what they know (the database's rows or the
batch's, loaded once), and get the same refusal with the same message. Each raises a
ValidationError naming the service's field; the batch maps fields to its columns.
Nothing here reads or writes the database.
"""

from datetime import date, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone

from vbsp_district.core.closing import check_open
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import vn_date, vnd
from vbsp_district.core.months import MonthlyDay, day_in_month, month_add
from vbsp_district.core.roles import POSTING_ROLES
from vbsp_district.core.text import key_checked, text_checked
from vbsp_district.models import Role

from .models import Commune, Member, NewsItem, SavingsGroup, Training, in_force_on, national_id_validator

# Counts people: a sanity bound far above any real meeting or course, below the column's.
MAX_ATTENDEES = 10_000
MAX_TRAINEES = 100_000


def _max(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def not_future(field: str, day, label: str, today: date | None = None) -> date:
    """A date that has happened (today included)."""
    if not isinstance(day, date):
        refuse(field, f"{label} không hợp lệ.")
    if day > (today or timezone.localdate()):
        refuse(field, f"{label} {vn_date(day)} không được sau ngày hôm nay.")
    return day


# -- communes ---------------------------------------------------------------------------
def check_commune(*, code, name, kind, transaction_day) -> tuple[str, str]:
    """A commune's fields: its code and name as stored."""
    code = key_checked(code, "code", "Mã xã", max_length=_max(Commune, "code"))
    name = text_checked(name, "name", "Tên xã", required=True, max_length=_max(Commune, "name"))
    if kind not in Commune.Kind.values:
        refuse("kind", "Loại đơn vị phải là xã (xa) hoặc thị trấn (thi_tran).")
    if isinstance(transaction_day, bool) or not isinstance(transaction_day, int) or not 1 <= transaction_day <= 31:
        refuse("transaction_day", "Ngày giao dịch xã phải từ 1 đến 31.")
    return code, name


# -- groups ----------------------------------------------------------------------------
def check_group(*, code, name, village, leader_name, founded_on, meeting_day=None, today=None, closed=None) -> dict:
    """A new group's fields, as stored. `closed`: the closed quarters, when the caller
    loaded them once (`vbsp_district.core.closing`)."""
    values = {
        "code": key_checked(code, "code", "Mã tổ", max_length=_max(SavingsGroup, "code")),
        "name": text_checked(name, "name", "Tên tổ", required=True, max_length=_max(SavingsGroup, "name")),
        "village": text_checked(village, "village", "Thôn / xóm", max_length=_max(SavingsGroup, "village")),
        "leader_name": text_checked(
            leader_name, "leader_name", "Tổ trưởng", max_length=_max(SavingsGroup, "leader_name")
        ),
        "founded_on": not_future("founded_on", founded_on, "Ngày thành lập", today),
    }
    if meeting_day is not None and (
        isinstance(meeting_day, bool) or not isinstance(meeting_day, int) or not 1 <= meeting_day <= 31
    ):
        refuse("meeting_day", "Ngày sinh hoạt tổ phải từ 1 đến 31.")
    check_open(founded_on, "founded_on", "Ngày thành lập", closed)
    return values


def check_dissolution(*, founded_on: date, dissolved_on, already: date | None = None, today=None, closed=None) -> date:
    """A group's dissolution day (whether its members have left is checked by the caller)."""
    not_future("dissolved_on", dissolved_on, "Ngày giải thể", today)
    if already:
        refuse("dissolved_on", f"Tổ đã giải thể ngày {vn_date(already)}.")
    if dissolved_on < founded_on:
        refuse("dissolved_on", "Ngày giải thể không được trước ngày thành lập.")
    check_open(dissolved_on, "dissolved_on", "Ngày giải thể", closed)
    return dissolved_on


def check_transfer(
    *,
    founded_on: date,
    dissolved_on: date | None,
    last: tuple[date, str] | None,
    association,
    effective_on,
    today=None,
    closed=None,
):
    """Handing a group to `association` from `effective_on`; `last` is the assignment in
    force, as (effective_on, association code)."""
    not_future("effective_on", effective_on, "Ngày chuyển giao", today)
    if effective_on <= founded_on:
        refuse("effective_on", "Ngày chuyển giao phải sau ngày thành lập tổ.")
    if dissolved_on and effective_on > dissolved_on:
        refuse("effective_on", "Tổ đã giải thể trước ngày chuyển giao.")
    if last and effective_on <= last[0]:
        refuse("effective_on", f"Ngày chuyển giao phải sau lần phân công gần nhất ({vn_date(last[0])}).")
    if last and last[1] == association.code:
        refuse("association", f"Tổ đang do {association.name} quản lý.")
    check_open(effective_on, "effective_on", "Ngày chuyển giao", closed)


def check_transaction_day_change(
    *, day, effective_on, in_force: int | None, last_change: date | None, today=None, closed=None
):
    """A commune's transaction day `day` from `effective_on` on: a month's first day (each
    month has one transaction day), after the commune's last change, and a day other than
    `in_force` (the one in force on `effective_on`). `closed`: the closed quarters, when
    the caller loaded them once."""
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
        refuse("transaction_day", "Ngày giao dịch xã phải từ 1 đến 31.")
    not_future("effective_on", effective_on, "Ngày hiệu lực", today)
    if effective_on.day != 1:
        refuse(
            "effective_on",
            f"Ngày hiệu lực phải là ngày đầu tháng (như 01/{effective_on:%m/%Y}): mỗi tháng xã có một ngày giao dịch.",
        )
    if last_change is not None and effective_on <= last_change:
        refuse("effective_on", f"Ngày hiệu lực phải sau lần đổi ngày giao dịch gần nhất ({vn_date(last_change)}).")
    if day == in_force:
        refuse("transaction_day", f"Từ ngày {vn_date(effective_on)} xã đã giao dịch ngày {day} hằng tháng.")
    check_open(effective_on, "effective_on", "Ngày hiệu lực", closed)


# -- members and memberships -----------------------------------------------------------
def check_member(*, national_id, full_name, gender, birth_year, village, household_category, today=None) -> dict:
    """A new member's fields, as stored."""
    national_id = "" if national_id is None else str(national_id).strip()
    try:
        national_id_validator(national_id)
    except ValidationError:
        refuse("national_id", "Số CCCD/CMND phải gồm 9 hoặc 12 chữ số.")
    gender = gender or ""
    if gender and gender not in Member.Gender.values:
        refuse("gender", "Giới tính phải là nam hoặc nữ (nu).")
    year = (today or timezone.localdate()).year
    if birth_year is not None and (isinstance(birth_year, bool) or not isinstance(birth_year, int)):
        refuse("birth_year", "Năm sinh không hợp lệ.")
    if birth_year is not None and not 1900 <= birth_year <= year:
        refuse("birth_year", "Năm sinh không hợp lệ.")
    return {
        "national_id": national_id,
        "full_name": text_checked(
            full_name, "full_name", "Họ và tên", required=True, max_length=_max(Member, "full_name")
        ),
        "gender": gender,
        "birth_year": birth_year,
        "village": text_checked(village, "village", "Thôn / xóm", max_length=_max(Member, "village")),
        "household_category": text_checked(
            household_category, "household_category", "Đối tượng hộ", max_length=_max(Member, "household_category")
        ),
    }


def check_membership(
    *,
    group: SavingsGroup,
    joined_on,
    left_on,
    periods,
    today=None,
    closed=None,
):
    """A member in `group` for [joined_on, left_on]. `periods` are the member's other
    periods, as (joined_on, left_on, group code): they never overlap."""
    not_future("joined_on", joined_on, "Ngày vào tổ", today)
    if left_on is not None:
        not_future("left_on", left_on, "Ngày rời tổ", today)
        if left_on < joined_on:
            refuse("left_on", "Ngày rời tổ không được trước ngày vào tổ.")
    if joined_on < group.founded_on:
        refuse(
            "joined_on",
            f"Ngày vào tổ {vn_date(joined_on)} trước ngày thành lập tổ ({vn_date(group.founded_on)}).",
        )
    if group.dissolved_on and (joined_on > group.dissolved_on or left_on is None or left_on > group.dissolved_on):
        refuse("group", f"Tổ {group.code} đã giải thể ngày {vn_date(group.dissolved_on)}.")
    for joined, left, code in sorted(periods, key=lambda p: p[0]):
        if (left is None or left >= joined_on) and (left_on is None or joined <= left_on):
            until = vn_date(left) if left else "nay"
            refuse(
                "joined_on",
                f"Thời gian sinh hoạt tổ trùng với thời gian ở tổ {code} (từ {vn_date(joined)} đến {until}).",
            )
    check_open(joined_on, "joined_on", "Ngày vào tổ", closed)


def check_leaving(*, joined_on: date, left_on, today=None):
    """A member leaves their group at the end of `left_on`: the figures change the day after."""
    not_future("left_on", left_on, "Ngày rời tổ", today)
    if left_on < joined_on:
        refuse("left_on", "Ngày rời tổ không được trước ngày vào tổ.")
    check_open(left_on, "left_on", "Ngày rời tổ", changes_from=left_on + timedelta(days=1))


def check_last_leaving(*, member_name: str, left_on: date, debts, field: str = "left_on"):
    """A member leaving their last group at the end of `left_on` owes no entrusted loan
    then or after: an entrusted loan is the group's to collect. `debts` are the member's
    entrusted loans outstanding at the end of `left_on` or disbursed after it, as
    (loan number, outstanding). The one rule of every path that ends a membership, and of
    an entrusted disbursement dated inside a member's closed last period (refused on
    `field`, its date)."""
    if debts:
        loans = "; ".join(f"{loan_no} (dư nợ {vnd(outstanding)} đồng)" for loan_no, outstanding in debts)
        refuse(
            field,
            f"Hộ vay {member_name} còn dư nợ món vay ủy thác {loans} sau ngày {vn_date(left_on)}: không thể "
            "cho rời tổ cuối cùng; chuyển sang tổ khác hoặc thu hết nợ trước.",
        )


def last_left_on(periods, day: date) -> date | None:
    """The day a member left their last group, when `day` falls on or before it (an
    entrusted loan disbursed on `day` would be outstanding after it: `check_last_leaving`);
    None while the last period is open. `periods` as (joined_on, left_on, ...)."""
    if not periods:
        return None
    left_on = max(periods, key=lambda p: p[0])[1]
    return left_on if left_on is not None and day <= left_on else None


def check_in_group_for_entrusted(*, member_name: str, periods, day: date):
    """An entrusted loan goes out through a group: on every day money is disbursed, the
    borrower is in one (and they leave their last group only once it is repaid:
    `check_last_leaving`). `periods` are the member's, as (joined_on, left_on, ...)."""
    if not any(in_force_on(p[0], p[1], day) for p in periods):
        refuse(
            "member",
            f"Hộ vay {member_name} không thuộc tổ TK&VV nào vào ngày {vn_date(day)}; món vay ủy thác phải qua tổ.",
        )


# -- outreach --------------------------------------------------------------------------
def check_attendees(attendees) -> int | None:
    """A meeting's attendance: none, or a whole number from 0 to MAX_ATTENDEES."""
    if attendees is None:
        return None
    if isinstance(attendees, bool) or not isinstance(attendees, int) or attendees < 0:
        refuse("attendees", "Số người dự không được âm.")
    if attendees > MAX_ATTENDEES:
        refuse("attendees", f"Số người dự quá lớn (tối đa {vnd(MAX_ATTENDEES)}).")
    return attendees


def check_trainees(value, field: str = "trainees", *, required: bool = True) -> int | None:
    """A course's trainees (or planned trainees): a whole number from 1 to MAX_TRAINEES."""
    label = "Số học viên" if field == "trainees" else "Số học viên kế hoạch"
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        refuse(field, f"{label} phải là số nguyên dương.")
    if value > MAX_TRAINEES:
        refuse(field, f"{label} quá lớn (tối đa {vnd(MAX_TRAINEES)}).")
    return value


# A group meets to prepare the commune's transaction day (loan requests, repayments due):
# on time when it meets 3 to 5 days before the transaction day the meeting serves.
MEETING_DAYS_BEFORE = (3, 5)


class MeetingTiming(NamedTuple):
    """Where a meeting falls against the transaction day it serves."""

    transaction_day: date
    days_before: int
    on_time: bool

    def where(self) -> str:
        """'4 ngày trước ngày giao dịch 20/03/2020'."""
        day = vn_date(self.transaction_day)
        if self.days_before == 0:
            return f"họp đúng ngày giao dịch {day}"
        return f"{self.days_before} ngày trước ngày giao dịch {day}"

    def describe(self) -> str:
        """'đúng lịch: 4 ngày trước ngày giao dịch 20/03/2020', or why it is not."""
        if self.on_time:
            return f"đúng lịch: {self.where()}"
        low, high = MEETING_DAYS_BEFORE
        return f"không đúng lịch: {self.where()}, cần họp trước {low} đến {high} ngày"


def meeting_window(transaction_day: date) -> tuple[date, date]:
    """The days a meeting must be held on to serve `transaction_day` on time, both included."""
    low, high = MEETING_DAYS_BEFORE
    return transaction_day - timedelta(days=high), transaction_day - timedelta(days=low)


def transaction_day_serving(transaction_day: int | MonthlyDay, held_on: date) -> date:
    """The first transaction day on or after `held_on` of a commune whose transaction day
    is `transaction_day` (a fixed day, or one through time; each month's clipped to its
    last day: 31 → 29/02/2020)."""
    if isinstance(transaction_day, MonthlyDay):
        return transaction_day.on_or_after(held_on)
    this_month = day_in_month(held_on.year, held_on.month, transaction_day)
    if this_month >= held_on:
        return this_month
    return day_in_month(*month_add(held_on.year, held_on.month, 1), transaction_day)


def meeting_timing(group_or_commune, held_on: date) -> MeetingTiming:
    """A meeting of a group (or of a group in a commune) held on `held_on`: the transaction
    day it serves (the commune's day in force that month), how many days before it, and
    whether that is 3 to 5 days ("đúng lịch").

    The one definition of an on-time meeting; `selectors.groups_meeting_on_time` asks the
    same of a whole month at once."""
    commune = group_or_commune.commune if isinstance(group_or_commune, SavingsGroup) else group_or_commune
    day = transaction_day_serving(commune.transaction_days, held_on)
    days_before = (day - held_on).days
    low, high = MEETING_DAYS_BEFORE
    return MeetingTiming(day, days_before, low <= days_before <= high)


def check_meeting(*, group: SavingsGroup, held_on, attendees, notes, taken: bool, today=None) -> dict:
    """A group meeting; `taken` says the group already has one that day."""
    not_future("held_on", held_on, "Ngày họp", today)
    if held_on < group.founded_on:
        refuse("held_on", "Ngày họp không được trước ngày thành lập tổ.")
    if taken:
        refuse("held_on", f"Tổ {group.code} đã có buổi họp ngày {vn_date(held_on)}.")
    return {
        "held_on": held_on,
        "attendees": check_attendees(attendees),
        "notes": text_checked(notes, "notes", "Nội dung", multiline=True),
    }


def check_training(*, held_on, audience, trainees, planned, organizer, today=None) -> dict:
    not_future("held_on", held_on, "Ngày tập huấn", today)
    return {
        "held_on": held_on,
        "audience": text_checked(
            audience, "audience", "Đối tượng tập huấn", required=True, max_length=_max(Training, "audience")
        ),
        "trainees": check_trainees(trainees),
        "planned": check_trainees(planned, "planned", required=False),
        "organizer": text_checked(organizer, "organizer", "Đơn vị tổ chức", max_length=_max(Training, "organizer")),
    }


def check_news_item(*, published_on, channel, title, commune_given: bool | None = None, today=None) -> dict:
    """A news item's fields, as stored. `commune_given`, when the caller says: a commune
    loudspeaker broadcast names its commune (the commune association grading counts it)."""
    not_future("published_on", published_on, "Ngày đăng", today)
    if channel not in NewsItem.Channel.values:
        refuse("channel", f"Kênh tuyên truyền phải là một trong: {', '.join(NewsItem.Channel.values)}.")
    if commune_given is False and channel == NewsItem.Channel.COMMUNE_LOUDSPEAKER:
        refuse("commune", "Tin phát trên đài truyền thanh xã phải ghi rõ xã.")
    return {
        "published_on": published_on,
        "channel": channel,
        "title": text_checked(title, "title", "Tiêu đề", required=True, max_length=_max(NewsItem, "title")),
    }


# -- who records outreach ----------------------------------------------------------------
OUTREACH_WRITERS_ONLY = (
    "Chỉ cán bộ tín dụng, lãnh đạo phòng giao dịch và cán bộ Hội/Đoàn được ghi hoạt động của tổ chức hội."
)
OWN_ASSOCIATION_ONLY = "Cán bộ Hội/Đoàn chỉ ghi được hoạt động của tổ chức hội mình."
OWN_COMMUNE_ONLY = "Cán bộ hội cấp xã chỉ ghi được hoạt động của xã mình."
OWN_GROUPS_ONLY = "Cán bộ Hội/Đoàn chỉ ghi được buổi họp của tổ do hội mình quản lý."


def check_outreach_writer(
    *,
    role: str | None,
    own_association_id: int | None,
    own_commune_id: int | None,
    association_id: int | None,
    commune_id: int | None,
    association_field: str = "association",
    commune_field: str = "commune",
):
    """Trainings, news items, broadcasts and group meetings are recorded by branch staff
    and managers for every unit, and by an association officer for their own association
    only (in their own commune, for a commune-level officer): the one write an officer has.
    `association_id` and `commune_id` are the record's; `association_field` and
    `commune_field` name where a refusal shows."""
    if role in POSTING_ROLES:
        return
    if role != Role.OFFICER or own_association_id is None:
        refuse("acting_user", OUTREACH_WRITERS_ONLY)
    if association_id != own_association_id:
        refuse(association_field, OWN_GROUPS_ONLY if association_field == "group" else OWN_ASSOCIATION_ONLY)
    if own_commune_id is not None and commune_id != own_commune_id:
        refuse(commune_field, OWN_COMMUNE_ONLY)
