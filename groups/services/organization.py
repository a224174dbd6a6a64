"""Writes to the organization: communes, groups, members, memberships."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q

from vbsp_district.core.audit import audit_record
from vbsp_district.core.closing import check_open
from vbsp_district.core.errors import refuse, refuse_taken
from vbsp_district.core.money import vn_date
from vbsp_district.core.writes import book_write

from .. import hooks, rules
from ..models import (
    Association,
    Commune,
    CommuneAssociation,
    CommuneTransactionDay,
    GroupAssignment,
    Member,
    Membership,
    SavingsGroup,
)


def _create_unique(model, field: str, label: str, **values):
    """Create a row keyed by `field`; a key inserted meanwhile by another user is refused."""
    try:
        with transaction.atomic():
            return model.objects.create(**values)
    except IntegrityError:
        if model.objects.filter(**{field: values[field]}).exists():
            refuse_taken(field, label, values[field])
        raise


@transaction.atomic
def commune_create(
    *, code: str, name: str, kind: str = Commune.Kind.COMMUNE, transaction_day: int, acting_user
) -> Commune:
    """Create a commune with its monthly transaction day, and its four association units."""
    code, name = rules.check_commune(code=code, name=name, kind=kind, transaction_day=transaction_day)
    if Commune.objects.filter(code=code).exists():
        refuse_taken("code", "Mã xã", code)
    commune = _create_unique(
        Commune,
        "code",
        "Mã xã",
        code=code,
        name=name,
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


@book_write
def commune_transaction_day_change(
    *, commune: Commune, transaction_day: int, effective_on: date, acting_user
) -> CommuneTransactionDay:
    """From `effective_on` (a month's first day) on, the commune's transaction day is
    `transaction_day`: its history keeps the days before; the borrowers billed on it (those
    in its groups, or of the commune and in no group yet) are billed on the new day from
    then on, their interest bills and the stored figures following in the same
    transaction."""
    commune = Commune.objects.select_for_update().get(pk=commune.pk)
    rules.check_transaction_day_change(
        day=transaction_day,
        effective_on=effective_on,
        in_force=commune.transaction_days.day_on(effective_on) if isinstance(effective_on, date) else None,
        last_change=commune.transaction_day_from,
    )
    previous = commune.transaction_day
    with hooks.rebilling(commune_id=commune.pk, day=effective_on, field="effective_on"):
        if commune.transaction_day_from is None and not commune.day_history.exists():
            CommuneTransactionDay.objects.create(commune=commune, day=previous, effective_on=None)
        change = CommuneTransactionDay.objects.create(
            commune=commune, day=transaction_day, effective_on=effective_on, recorded_by=acting_user
        )
        commune.transaction_day, commune.transaction_day_from = transaction_day, effective_on
        commune.save(update_fields=["transaction_day", "transaction_day_from"])
    audit_record(
        user=acting_user,
        action="commune.transaction_day",
        obj=commune,
        key=commune.code,
        data={"from": previous, "to": transaction_day, "effective_on": effective_on},
    )
    return change


@book_write
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
    values = rules.check_group(
        code=code,
        name=name,
        village=village,
        leader_name=leader_name,
        founded_on=founded_on,
        meeting_day=meeting_day,
    )
    code = values["code"]
    if SavingsGroup.objects.filter(code=code).exists():
        refuse_taken("code", "Mã tổ", code)
    group = _create_unique(SavingsGroup, "code", "Mã tổ", commune=commune, meeting_day=meeting_day, **values)
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


@book_write
def group_transfer(
    *, group: SavingsGroup, association: Association, effective_on: date, acting_user
) -> GroupAssignment:
    """Hand a group to another association from `effective_on`; its history stays."""
    group = SavingsGroup.objects.select_for_update().get(pk=group.pk)
    last = group.assignments.select_related("association").order_by("-effective_on", "-id").first()
    rules.check_transfer(
        founded_on=group.founded_on,
        dissolved_on=group.dissolved_on,
        last=(last.effective_on, last.association.code) if last else None,
        association=association,
        effective_on=effective_on,
    )
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


@book_write
def group_dissolve(*, group: SavingsGroup, dissolved_on: date, acting_user) -> SavingsGroup:
    """Record a group's dissolution; members still in it must have left by then."""
    group = SavingsGroup.objects.select_for_update().get(pk=group.pk)
    rules.check_dissolution(founded_on=group.founded_on, dissolved_on=dissolved_on, already=group.dissolved_on)
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


@book_write
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
    values = rules.check_member(
        national_id=national_id,
        full_name=full_name,
        gender=gender,
        birth_year=birth_year,
        village=village,
        household_category=household_category,
    )
    national_id = values["national_id"]
    if Member.objects.filter(national_id=national_id).exists():
        refuse_taken("national_id", "Số CCCD/CMND", national_id)
    if group is not None and joined_on is None:
        refuse("joined_on", "Cần nhập ngày vào tổ.")
    if group is None and joined_on is not None:
        refuse("group", "Chọn tổ TK&VV mà hộ vay vào từ ngày này.")
    if group is not None and group.commune_id != commune.id:
        refuse("group", f"Tổ {group.code} thuộc xã khác với xã của hộ vay.")
    member = _create_unique(Member, "national_id", "Số CCCD/CMND", commune=commune, **values)
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
    periods = Membership.objects.filter(member=member)
    if exclude is not None:
        periods = periods.exclude(pk=exclude.pk)
    rules.check_membership(
        group=group,
        joined_on=joined_on,
        left_on=left_on,
        periods=periods.values_list("joined_on", "left_on", "group__code"),
    )


@book_write
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
    _check_membership(member, group, joined_on, left_on)
    if left_on is not None and not Membership.objects.filter(member=member, joined_on__gt=joined_on).exists():
        rules.check_last_leaving(
            member_name=member.full_name, left_on=left_on, debts=hooks.entrusted_debts(member.pk, left_on)
        )
    with hooks.rebilling(member_ids=[member.pk], day=joined_on, field="joined_on"):
        membership = Membership.objects.create(member=member, group=group, joined_on=joined_on, left_on=left_on)
    audit_record(
        user=acting_user,
        action="membership.add",
        obj=membership,
        key=member.national_id,
        data={"group": group.code, "joined_on": joined_on, "left_on": left_on},
    )
    return membership


@book_write
def member_move(*, member: Member, group: SavingsGroup, moved_on: date, acting_user) -> Membership:
    """Move a member to another group: the old period ends the day before `moved_on`."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    group = SavingsGroup.objects.select_for_update().get(pk=group.pk)
    rules.not_future("moved_on", moved_on, "Ngày chuyển tổ")
    current = Membership.objects.filter(member=member).open().select_related("group").first()
    if current is None:
        refuse("member", "Tổ viên hiện không thuộc tổ nào.")
    if current.group_id == group.id:
        refuse("group", f"Tổ viên đã ở tổ {group.code}.")
    if moved_on <= current.joined_on:
        refuse("moved_on", f"Ngày chuyển tổ phải sau ngày vào tổ {vn_date(current.joined_on)}.")
    check_open(moved_on, "moved_on", "Ngày chuyển tổ")
    _check_membership(member, group, moved_on, None, exclude=current)
    # a group in another commune bills the member on that commune's day from the move on
    with hooks.rebilling(member_ids=[member.pk], day=moved_on, field="moved_on"):
        current.left_on = moved_on.fromordinal(moved_on.toordinal() - 1)
        current.save(update_fields=["left_on"])
        membership = Membership.objects.create(member=member, group=group, joined_on=moved_on)
    audit_record(
        user=acting_user,
        action="member.move",
        obj=membership,
        key=member.national_id,
        data={"from": current.group.code, "to": group.code, "moved_on": moved_on},
    )
    return membership


@book_write
def membership_end(*, member: Member, left_on: date, acting_user) -> Membership:
    """The member leaves their group at the end of `left_on`."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    current = Membership.objects.filter(member=member).open().first()
    if current is None:
        refuse("member", "Tổ viên hiện không thuộc tổ nào.")
    rules.check_leaving(joined_on=current.joined_on, left_on=left_on)
    # the open period is the member's last: it ends only once their entrusted loans are repaid
    rules.check_last_leaving(
        member_name=member.full_name, left_on=left_on, debts=hooks.entrusted_debts(member.pk, left_on)
    )
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
