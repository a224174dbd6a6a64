"""Every write to the organization: communes, groups, members, memberships, outreach."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q

from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import vn_date, vnd
from vbsp_district.core.text import key_checked

from .models import (
    Association,
    Commune,
    CommuneAssociation,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
    Training,
    national_id_validator,
)


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _create_unique(model, field: str, message: str, **values):
    """Create a row keyed by `field`; a key inserted meanwhile by another user is refused."""
    try:
        with transaction.atomic():
            return model.objects.create(**values)
    except IntegrityError:
        if model.objects.filter(**{field: values[field]}).exists():
            refuse(field, message)
        raise


# Counts people: a sanity bound far above any real meeting or course, below the column's.
MAX_ATTENDEES = 10_000
MAX_TRAINEES = 100_000


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


def _not_future(field: str, day: date, label: str = "Ngày"):
    if day > _today():
        refuse(field, f"{label} {vn_date(day)} không được sau ngày hôm nay.")


@transaction.atomic
def commune_create(
    *, code: str, name: str, kind: str = Commune.Kind.COMMUNE, transaction_day: int, acting_user
) -> Commune:
    """Create a commune with its monthly transaction day, and its four association units."""
    code = key_checked(code, "code", "Mã xã", max_length=Commune._meta.get_field("code").max_length)
    if Commune.objects.filter(code=code).exists():
        refuse("code", f"Mã xã {code} đã có trong hệ thống.")
    if not name or not name.strip():
        refuse("name", "Tên xã không được để trống.")
    if kind not in Commune.Kind.values:
        refuse("kind", "Loại đơn vị phải là xã hoặc thị trấn.")
    if not isinstance(transaction_day, int) or not 1 <= transaction_day <= 31:
        refuse("transaction_day", "Ngày giao dịch xã phải từ 1 đến 31.")
    commune = _create_unique(
        Commune,
        "code",
        f"Mã xã {code} đã có trong hệ thống.",
        code=code,
        name=name.strip(),
        kind=kind,
        transaction_day=transaction_day,
    )
    CommuneAssociation.objects.bulk_create(
        CommuneAssociation(commune=commune, association=a) for a in Association.objects.all()
    )
    audit_record(
        user=acting_user,
        action="commune.create",
        obj=commune,
        key=code,
        data={"name": commune.name, "kind": kind, "transaction_day": transaction_day},
    )
    return commune


@transaction.atomic
def group_create(
    *,
    code: str,
    name: str,
    commune: Commune,
    association: Association,
    founded_on: date,
    village: str = "",
    leader_name: str = "",
    meeting_day: int | None = None,
    acting_user,
) -> SavingsGroup:
    """Found a savings group in a commune, managed by `association` from `founded_on`."""
    code = key_checked(code, "code", "Mã tổ", max_length=SavingsGroup._meta.get_field("code").max_length)
    if SavingsGroup.objects.filter(code=code).exists():
        refuse("code", f"Mã tổ {code} đã có trong hệ thống.")
    if not name or not name.strip():
        refuse("name", "Tên tổ không được để trống.")
    _not_future("founded_on", founded_on, "Ngày thành lập")
    if meeting_day is not None and not 1 <= meeting_day <= 31:
        refuse("meeting_day", "Ngày sinh hoạt tổ phải từ 1 đến 31.")
    group = _create_unique(
        SavingsGroup,
        "code",
        f"Mã tổ {code} đã có trong hệ thống.",
        code=code,
        name=name.strip(),
        commune=commune,
        village=village,
        leader_name=leader_name,
        meeting_day=meeting_day,
        founded_on=founded_on,
    )
    GroupAssignment.objects.create(
        group=group, association=association, effective_on=founded_on, recorded_by=acting_user
    )
    audit_record(
        user=acting_user,
        action="group.create",
        obj=group,
        key=code,
        data={
            "name": group.name,
            "commune": commune.code,
            "association": association.code,
            "founded_on": founded_on,
        },
    )
    return group


@transaction.atomic
def group_transfer(
    *, group: SavingsGroup, association: Association, effective_on: date, acting_user
) -> GroupAssignment:
    """Hand a group to another association from `effective_on`; its history stays."""
    group = SavingsGroup.objects.select_for_update().get(pk=group.pk)
    _not_future("effective_on", effective_on, "Ngày chuyển giao")
    if effective_on <= group.founded_on:
        refuse("effective_on", "Ngày chuyển giao phải sau ngày thành lập tổ.")
    if group.dissolved_on and effective_on > group.dissolved_on:
        refuse("effective_on", "Tổ đã giải thể trước ngày chuyển giao.")
    last = group.assignments.order_by("-effective_on").first()
    if last and effective_on <= last.effective_on:
        refuse(
            "effective_on",
            f"Ngày chuyển giao phải sau lần phân công gần nhất ({vn_date(last.effective_on)}).",
        )
    if last and last.association_id == association.id:
        refuse("association", f"Tổ đang do {association.name} quản lý.")
    assignment = GroupAssignment.objects.create(
        group=group, association=association, effective_on=effective_on, recorded_by=acting_user
    )
    audit_record(
        user=acting_user,
        action="group.transfer",
        obj=group,
        key=group.code,
        data={
            "from": last.association.code if last else None,
            "to": association.code,
            "effective_on": effective_on,
        },
    )
    return assignment


@transaction.atomic
def group_dissolve(*, group: SavingsGroup, dissolved_on: date, acting_user) -> SavingsGroup:
    """Record a group's dissolution; members still in it must have left by then."""
    group = SavingsGroup.objects.select_for_update().get(pk=group.pk)
    _not_future("dissolved_on", dissolved_on, "Ngày giải thể")
    if group.dissolved_on:
        refuse("dissolved_on", f"Tổ đã giải thể ngày {vn_date(group.dissolved_on)}.")
    if dissolved_on < group.founded_on:
        refuse("dissolved_on", "Ngày giải thể không được trước ngày thành lập.")
    staying = group.memberships.filter(Q(left_on__isnull=True) | Q(left_on__gt=dissolved_on))
    if staying.exists():
        refuse("dissolved_on", "Tổ còn tổ viên sau ngày giải thể; chuyển tổ viên trước.")
    group.dissolved_on = dissolved_on
    group.save(update_fields=["dissolved_on"])
    audit_record(
        user=acting_user,
        action="group.dissolve",
        obj=group,
        key=group.code,
        data={"dissolved_on": dissolved_on},
    )
    return group


@transaction.atomic
def member_register(
    *,
    national_id: str,
    full_name: str,
    commune: Commune,
    village: str = "",
    gender: str = "",
    birth_year: int | None = None,
    household_category: str = "",
    group: SavingsGroup | None = None,
    joined_on: date | None = None,
    acting_user,
) -> Member:
    """Register a borrower household under its national ID, in `group` from `joined_on` if given."""
    national_id = (national_id or "").strip()
    try:
        national_id_validator(national_id)
    except Exception:
        refuse("national_id", "Số CCCD/CMND phải gồm 9 hoặc 12 chữ số.")
    if Member.objects.filter(national_id=national_id).exists():
        refuse("national_id", f"Số CCCD/CMND {national_id} đã có trong hệ thống.")
    if not full_name or not full_name.strip():
        refuse("full_name", "Họ và tên không được để trống.")
    if gender and gender not in Member.Gender.values:
        refuse("gender", "Giới tính phải là nam hoặc nữ.")
    if birth_year is not None and not 1900 <= birth_year <= _today().year:
        refuse("birth_year", "Năm sinh không hợp lệ.")
    if group is not None and joined_on is None:
        refuse("joined_on", "Cần nhập ngày vào tổ.")
    if group is None and joined_on is not None:
        refuse("group", "Chọn tổ TK&VV mà hộ vay vào từ ngày này.")
    if group is not None and group.commune_id != commune.id:
        refuse("group", f"Tổ {group.code} thuộc xã khác với xã của hộ vay.")
    member = _create_unique(
        Member,
        "national_id",
        f"Số CCCD/CMND {national_id} đã có trong hệ thống.",
        national_id=national_id,
        full_name=full_name.strip(),
        commune=commune,
        village=village,
        gender=gender,
        birth_year=birth_year,
        household_category=household_category,
    )
    audit_record(
        user=acting_user,
        action="member.register",
        obj=member,
        key=national_id,
        data={"full_name": member.full_name, "commune": commune.code},
    )
    if group is not None:
        membership_add(member=member, group=group, joined_on=joined_on, acting_user=acting_user)
    return member


def _check_membership(member: Member, group: SavingsGroup, joined_on: date, left_on, exclude=None):
    if left_on is not None and left_on < joined_on:
        refuse("left_on", "Ngày rời tổ không được trước ngày vào tổ.")
    if joined_on < group.founded_on:
        refuse(
            "joined_on",
            f"Ngày vào tổ {vn_date(joined_on)} trước ngày thành lập tổ ({vn_date(group.founded_on)}).",
        )
    if group.dissolved_on and (joined_on > group.dissolved_on or left_on is None or left_on > group.dissolved_on):
        refuse("group", f"Tổ {group.code} đã giải thể ngày {vn_date(group.dissolved_on)}.")
    clash = Membership.objects.filter(member=member).filter(Q(left_on__isnull=True) | Q(left_on__gte=joined_on))
    if left_on is not None:
        clash = clash.filter(joined_on__lte=left_on)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    other = clash.select_related("group").first()
    if other:
        until = vn_date(other.left_on) if other.left_on else "nay"
        refuse(
            "joined_on",
            f"Thời gian sinh hoạt tổ trùng với thời gian ở tổ {other.group.code} "
            f"(từ {vn_date(other.joined_on)} đến {until}).",
        )


@transaction.atomic
def membership_add(
    *,
    member: Member,
    group: SavingsGroup,
    joined_on: date,
    left_on: date | None = None,
    acting_user,
) -> Membership:
    """Put a member in a group for [joined_on, left_on]; periods never overlap."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    # Re-read and lock the group: a dissolution recorded meanwhile must be seen.
    group = SavingsGroup.objects.select_for_update().get(pk=group.pk)
    _not_future("joined_on", joined_on, "Ngày vào tổ")
    _check_membership(member, group, joined_on, left_on)
    membership = Membership.objects.create(member=member, group=group, joined_on=joined_on, left_on=left_on)
    audit_record(
        user=acting_user,
        action="membership.add",
        obj=membership,
        key=member.national_id,
        data={"group": group.code, "joined_on": joined_on, "left_on": left_on},
    )
    return membership


@transaction.atomic
def member_move(*, member: Member, group: SavingsGroup, moved_on: date, acting_user) -> Membership:
    """Move a member to another group: the old period ends the day before `moved_on`."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    group = SavingsGroup.objects.select_for_update().get(pk=group.pk)
    _not_future("moved_on", moved_on, "Ngày chuyển tổ")
    current = Membership.objects.filter(member=member).open().select_related("group").first()
    if current is None:
        refuse("member", "Tổ viên hiện không thuộc tổ nào.")
    if current.group_id == group.id:
        refuse("group", f"Tổ viên đã ở tổ {group.code}.")
    if moved_on <= current.joined_on:
        refuse("moved_on", f"Ngày chuyển tổ phải sau ngày vào tổ {vn_date(current.joined_on)}.")
    current.left_on = moved_on.fromordinal(moved_on.toordinal() - 1)
    current.save(update_fields=["left_on"])
    _check_membership(member, group, moved_on, None, exclude=current)
    membership = Membership.objects.create(member=member, group=group, joined_on=moved_on)
    audit_record(
        user=acting_user,
        action="member.move",
        obj=membership,
        key=member.national_id,
        data={"from": current.group.code, "to": group.code, "moved_on": moved_on},
    )
    return membership


@transaction.atomic
def membership_end(*, member: Member, left_on: date, acting_user) -> Membership:
    """The member leaves their group at the end of `left_on`."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    current = Membership.objects.filter(member=member).open().first()
    if current is None:
        refuse("member", "Tổ viên hiện không thuộc tổ nào.")
    _not_future("left_on", left_on, "Ngày rời tổ")
    if left_on < current.joined_on:
        refuse("left_on", "Ngày rời tổ không được trước ngày vào tổ.")
    current.left_on = left_on
    current.save(update_fields=["left_on"])
    audit_record(
        user=acting_user,
        action="membership.end",
        obj=current,
        key=member.national_id,
        data={"group": current.group.code, "left_on": left_on},
    )
    return current


@transaction.atomic
def meeting_record(
    *,
    group: SavingsGroup,
    held_on: date,
    attendees: int | None = None,
    notes: str = "",
    acting_user,
) -> GroupMeeting:
    """Record a group meeting."""
    _not_future("held_on", held_on, "Ngày họp")
    if held_on < group.founded_on:
        refuse("held_on", "Ngày họp không được trước ngày thành lập tổ.")
    if GroupMeeting.objects.filter(group=group, held_on=held_on).exists():
        refuse("held_on", f"Tổ {group.code} đã có buổi họp ngày {vn_date(held_on)}.")
    check_attendees(attendees)
    meeting = GroupMeeting.objects.create(group=group, held_on=held_on, attendees=attendees, notes=notes)
    audit_record(
        user=acting_user,
        action="meeting.record",
        obj=meeting,
        data={"group": group.code, "held_on": held_on, "attendees": attendees},
    )
    return meeting


@transaction.atomic
def training_record(
    *,
    held_on: date,
    audience: str,
    trainees: int,
    planned: int | None = None,
    association: Association | None = None,
    commune: Commune | None = None,
    organizer: str = "",
    acting_user,
) -> Training:
    """Record a training course and its number of trainees."""
    _not_future("held_on", held_on, "Ngày tập huấn")
    if not audience or not audience.strip():
        refuse("audience", "Đối tượng tập huấn không được để trống.")
    check_trainees(trainees)
    check_trainees(planned, "planned", required=False)
    training = Training.objects.create(
        held_on=held_on,
        audience=audience.strip(),
        trainees=trainees,
        planned=planned,
        association=association,
        commune=commune,
        organizer=organizer,
    )
    audit_record(
        user=acting_user,
        action="training.record",
        obj=training,
        data={"held_on": held_on, "trainees": trainees, "planned": planned},
    )
    return training


@transaction.atomic
def news_item_record(
    *,
    published_on: date,
    association: Association,
    channel: str,
    title: str,
    commune: Commune | None = None,
    acting_user,
) -> NewsItem:
    """Record a news item about policy credit on one channel."""
    _not_future("published_on", published_on, "Ngày đăng")
    if channel not in NewsItem.Channel.values:
        refuse("channel", "Kênh tuyên truyền không hợp lệ.")
    if not title or not title.strip():
        refuse("title", "Tiêu đề không được để trống.")
    item = NewsItem.objects.create(
        published_on=published_on,
        association=association,
        commune=commune,
        channel=channel,
        title=title.strip(),
    )
    audit_record(
        user=acting_user,
        action="news.record",
        obj=item,
        data={"published_on": published_on, "channel": channel, "title": item.title},
    )
    return item
