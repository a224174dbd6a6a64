"""The organization's sheets: communes, groups and their transfers, members, memberships,
meetings, trainings and news. Each row goes through the rules of `groups.rules`, the
ones the single-record services apply, against the database and the earlier rows."""

from datetime import date

from groups import rules
from groups.models import (
    Commune,
    CommuneTransactionDay,
    GroupAssignment,
    GroupMeeting,
    Member,
    Membership,
    NewsItem,
    SavingsGroup,
    Training,
    monthly_day,
)
from vbsp_district.core.errors import refuse_taken

from .records import Batch, Row


def _taken(batch: Batch, row: Row, column: str, label: str, key: str):
    batch.check(row, refuse_taken, column, label, key)


def commune_row(batch: Batch, row: Row):
    code, name = batch.check(
        row,
        rules.check_commune,
        code=batch.required(row, "code"),
        name=batch.required(row, "name"),
        kind=batch.required(row, "kind"),
        transaction_day=batch.required(row, "transaction_day"),
    )
    if code in batch.communes:
        _taken(batch, row, "code", "Mã xã", code)
    commune = Commune(code=code, name=name, kind=row.data["kind"], transaction_day=row.data["transaction_day"])
    batch.communes[code] = commune
    batch.new_communes.append(commune)


def group_row(batch: Batch, row: Row):
    values = batch.check(
        row,
        rules.check_group,
        code=batch.required(row, "code"),
        name=batch.required(row, "name"),
        village=row.data.get("village"),
        leader_name=row.data.get("leader_name"),
        founded_on=batch.required(row, "founded_on"),
        today=batch.today,
        closed=batch.closed,
    )
    if values["code"] in batch.groups:
        _taken(batch, row, "code", "Mã tổ", values["code"])
    commune = batch.lookup(row, "commune_code", batch.communes, "commune", "xã")
    association = batch.lookup(row, "association_code", batch.associations, "association", "tổ chức hội")
    dissolved_on = row.data.get("dissolved_on")
    if dissolved_on is not None:
        batch.check(
            row,
            rules.check_dissolution,
            founded_on=values["founded_on"],
            dissolved_on=dissolved_on,
            today=batch.today,
            closed=batch.closed,
        )
    group = SavingsGroup(commune=commune, dissolved_on=dissolved_on, **values)
    batch.groups[group.code] = group
    batch.new_groups.append(group)
    batch.group_assignments[group.code] = [(group.founded_on, association.code)]
    batch.new_assignments.append(
        GroupAssignment(group=group, association=association, effective_on=group.founded_on, recorded_by=batch.user)
    )


def transfer_row(batch: Batch, row: Row):
    group = batch.lookup(row, "group_code", batch.groups, "group", "tổ")
    association = batch.lookup(row, "association_code", batch.associations, "association", "tổ chức hội")
    effective_on = batch.required(row, "effective_on")
    history = batch.group_assignments[group.code]
    batch.check(
        row,
        rules.check_transfer,
        founded_on=group.founded_on,
        dissolved_on=group.dissolved_on,
        last=history[-1] if history else None,
        association=association,
        effective_on=effective_on,
        today=batch.today,
        closed=batch.closed,
    )
    history.append((effective_on, association.code))
    batch.new_assignments.append(
        GroupAssignment(group=group, association=association, effective_on=effective_on, recorded_by=batch.user)
    )


def member_row(batch: Batch, row: Row):
    values = batch.check(
        row,
        rules.check_member,
        national_id=batch.required(row, "national_id"),
        full_name=batch.required(row, "full_name"),
        gender=row.data.get("gender"),
        birth_year=row.data.get("birth_year"),
        village=row.data.get("village"),
        household_category=row.data.get("household_category"),
        today=batch.today,
    )
    nid = values["national_id"]
    # the batch loaded every member of the database whose ID it names
    if nid in batch.members:
        _taken(batch, row, "national_id", "Số CCCD/CMND", nid)
    commune = batch.lookup(row, "commune_code", batch.communes, "commune", "xã")
    member = Member(commune=commune, **values)
    batch.members[nid] = member
    batch.member_periods[nid] = []
    batch.new_members.append(member)


def membership_row(batch: Batch, row: Row):
    member = batch.lookup(row, "national_id", batch.members, "member", "tổ viên có số CCCD/CMND")
    group = batch.lookup(row, "group_code", batch.groups, "group", "tổ")
    joined_on = batch.required(row, "joined_on")
    left_on = row.data.get("left_on")
    periods = batch.member_periods.setdefault(member.national_id, [])
    batch.check(
        row,
        rules.check_membership,
        group=group,
        joined_on=joined_on,
        left_on=left_on,
        periods=periods,
        today=batch.today,
        closed=batch.closed,
    )
    periods.append([joined_on, left_on, group.code])
    periods.sort(key=lambda p: p[0])
    batch.new_memberships.append(Membership(member=member, group=group, joined_on=joined_on, left_on=left_on))
    if left_on is not None:
        batch.leavings.append((row, member, joined_on, left_on))


def meeting_row(batch: Batch, row: Row):
    group = batch.lookup(row, "group_code", batch.groups, "group", "tổ")
    held_on = batch.required(row, "held_on")
    key = (group.code, held_on)
    values = batch.check(
        row,
        rules.check_meeting,
        group=group,
        held_on=held_on,
        attendees=row.data.get("attendees"),
        notes=row.data.get("notes"),
        taken=key in batch.meeting_keys
        or bool(group.pk and GroupMeeting.objects.filter(group=group, held_on=held_on).exists()),
        today=batch.today,
    )
    batch.meeting_keys.add(key)
    batch.new_meetings.append(GroupMeeting(group=group, **values))


def _optional(batch: Batch, row: Row, column, table, kind, label):
    return batch.lookup(row, column, table, kind, label) if row.data.get(column) not in (None, "") else None


def training_row(batch: Batch, row: Row):
    values = batch.check(
        row,
        rules.check_training,
        held_on=batch.required(row, "held_on"),
        audience=batch.required(row, "audience"),
        trainees=batch.required(row, "trainees"),
        planned=row.data.get("planned"),
        organizer=row.data.get("organizer"),
        today=batch.today,
    )
    association = _optional(batch, row, "association_code", batch.associations, "association", "tổ chức hội")
    commune = _optional(batch, row, "commune_code", batch.communes, "commune", "xã")
    batch.new_trainings.append(Training(association=association, commune=commune, **values))


def news_row(batch: Batch, row: Row):
    values = batch.check(
        row,
        rules.check_news_item,
        published_on=batch.required(row, "published_on"),
        channel=batch.required(row, "channel"),
        title=batch.required(row, "title"),
        today=batch.today,
    )
    association = batch.lookup(row, "association_code", batch.associations, "association", "tổ chức hội")
    commune = _optional(batch, row, "commune_code", batch.communes, "commune", "xã")
    batch.new_news.append(NewsItem(association=association, commune=commune, **values))


def commune_day_row(batch: Batch, row: Row):
    """A change of a commune's transaction day (an addition to the format, docs/formats.md),
    under the rules of `groups.services.commune_transaction_day_change`: the commune's
    Communes row holds its first day, each row a later day from a month's first day on.
    Only a commune of the workbook: an existing commune's day changes on its page, which
    bills its borrowers again."""
    commune = batch.lookup(row, "commune_code", batch.communes, "commune", "xã")
    if commune.pk is not None:
        batch.fail(
            row,
            "commune_code",
            f"Xã {commune.code} đã có trong cơ sở dữ liệu: đổi ngày giao dịch của xã trên trang của xã.",
        )
    changes = batch.commune_days.setdefault(commune.code, [])
    first = batch.commune_first_days.setdefault(commune.code, commune.transaction_day)
    effective_on = batch.required(row, "effective_on")
    day = batch.required(row, "transaction_day")
    batch.check(
        row,
        rules.check_transaction_day_change,
        day=day,
        effective_on=effective_on,
        in_force=monthly_day(first, changes).day_on(effective_on) if isinstance(effective_on, date) else None,
        last_change=changes[-1][0] if changes else None,
        today=batch.today,
        closed=batch.closed,
    )
    if not changes:
        batch.new_commune_days.append(CommuneTransactionDay(commune=commune, day=first, effective_on=None))
    changes.append((effective_on, day))
    batch.new_commune_days.append(
        CommuneTransactionDay(commune=commune, day=day, effective_on=effective_on, recorded_by=batch.user)
    )
    commune.transaction_day, commune.transaction_day_from = day, effective_on
    # its days through time, for the bills (the history is written with the commune)
    commune._history_days = monthly_day(first, changes)
