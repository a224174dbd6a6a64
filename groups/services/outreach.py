"""Writes of the associations' outreach: group meetings, trainings, news items and commune
loudspeaker broadcasts (news items on the `commune_loudspeaker` channel).

They hold no money, and they are the one thing an association officer records: for their
own association, in their own commune for a commune-level officer
(`rules.check_outreach_writer`); branch staff and managers record them for every unit.
Every record and every edit writes an audit event; an edit's event carries each changed
field as [before, after]. Nothing is deleted: a wrong record is corrected.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import vn_date
from vbsp_district.core.roles import POSTING_ROLES, user_role
from vbsp_district.models import Role

from .. import rules
from ..models import Association, Commune, GroupMeeting, NewsItem, SavingsGroup, Training
from ..selectors import association_of_group_on


# -- who writes ------------------------------------------------------------------------------
def _writer(acting_user) -> dict | None:
    """The acting user's role and own unit, as `rules.check_outreach_writer` takes them
    (None: the system itself, as in a command)."""
    if acting_user is None:
        return None
    role = user_role(acting_user)
    profile = getattr(acting_user, "profile", None) if role == Role.OFFICER else None
    return {
        "role": role,
        "own_association_id": profile.association_id if profile else None,
        "own_commune_id": profile.commune_id if profile else None,
    }


def _check_writer(acting_user, association_id: int | None, commune_id: int | None):
    if (writer := _writer(acting_user)) is not None:
        rules.check_outreach_writer(**writer, association_id=association_id, commune_id=commune_id)


def _check_meeting_writer(acting_user, group: SavingsGroup, *days):
    """An officer records and corrects the meetings their association holds: on each of
    `days` the meeting serves a transaction day on which their association manages the
    group (`rules.meeting_timing`), whoever manages it today. A day that is not one, or
    not yet past, is checked as today (`rules.check_meeting` refuses it)."""
    writer = _writer(acting_user)
    if writer is None or writer["role"] in POSTING_ROLES:
        return
    today = timezone.localdate()
    for day in days:
        served = rules.meeting_timing(group, day).transaction_day if isinstance(day, date) and day <= today else today
        association = association_of_group_on(group, served)
        rules.check_outreach_writer(
            **writer,
            association_id=association.pk if association else None,
            commune_id=group.commune_id,
            association_field="group",
            commune_field="group",
        )


def _refuse_twice(acting_user, same, field: str, message: str):
    """A form sent twice (a double click, a page sent again) records once: the user's
    writes of outreach take turns (their row locked), and a record identical to one
    already kept is refused on `field`."""
    if acting_user is not None and acting_user.pk is not None:
        get_user_model().objects.select_for_update().filter(pk=acting_user.pk).first()
    if same.exists():
        refuse(field, message)


# -- edits -----------------------------------------------------------------------------------
def _audited(value):
    """A value as the audit trail shows it: an association or commune by its code."""
    return value.code if isinstance(value, Association | Commune) else value


def _apply(obj, values: dict) -> dict:
    """Set `values` on `obj`; {field: [before, after]} of those that changed."""
    changed = {}
    for name, value in values.items():
        field = obj._meta.get_field(name)
        if field.is_relation:
            if getattr(obj, field.attname) == (value.pk if value is not None else None):
                continue
            changed[name] = [_audited(getattr(obj, name)), _audited(value)]
        else:
            if getattr(obj, name) == value:
                continue
            changed[name] = [getattr(obj, name), value]
        setattr(obj, name, value)
    return changed


def _meeting_taken(group: SavingsGroup, held_on, exclude: GroupMeeting | None = None) -> bool:
    if not isinstance(held_on, date):
        return False
    others = GroupMeeting.objects.filter(group=group, held_on=held_on)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def _saved_meeting(meeting: GroupMeeting, **kwargs):
    """Save a meeting; one recorded meanwhile on the same day by another user is refused
    the way the check before it refuses."""
    try:
        with transaction.atomic():
            meeting.save(**kwargs)
    except IntegrityError:
        if _meeting_taken(meeting.group, meeting.held_on, exclude=meeting if meeting.pk else None):
            refuse("held_on", f"Tổ {meeting.group.code} đã có buổi họp ngày {vn_date(meeting.held_on)}.")
        raise


# -- group meetings ----------------------------------------------------------------------------
@transaction.atomic
def meeting_record(
    *,
    group: SavingsGroup,
    held_on: date,
    attendees: int | None = None,
    notes: str = "",
    acting_user,
) -> GroupMeeting:
    """Record a group meeting (whether it is on time is `rules.meeting_timing`'s to say)."""
    _check_meeting_writer(acting_user, group, held_on)
    values = rules.check_meeting(
        group=group,
        held_on=held_on,
        attendees=attendees,
        notes=notes,
        taken=_meeting_taken(group, held_on),
    )
    meeting = GroupMeeting(group=group, **values)
    _saved_meeting(meeting)
    audit_record(
        user=acting_user,
        action="meeting.record",
        obj=meeting,
        data={"group": group.code, "held_on": held_on, "attendees": attendees},
    )
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: GroupMeeting,
    held_on: date,
    attendees: int | None = None,
    notes: str = "",
    acting_user,
) -> GroupMeeting:
    """Correct a recorded meeting's day, attendance or notes (its group stays)."""
    meeting = GroupMeeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    _check_meeting_writer(acting_user, meeting.group, meeting.held_on, held_on)
    values = rules.check_meeting(
        group=meeting.group,
        held_on=held_on,
        attendees=attendees,
        notes=notes,
        taken=_meeting_taken(meeting.group, held_on, exclude=meeting),
    )
    changes = _apply(meeting, values)
    if changes:
        _saved_meeting(meeting, update_fields=list(changes))
        audit_record(
            user=acting_user,
            action="meeting.update",
            obj=meeting,
            data={"group": meeting.group.code, "changes": changes},
        )
    return meeting


# -- trainings ---------------------------------------------------------------------------------
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
    """Record a training course and its number of trainees (against the planned number)."""
    _check_writer(acting_user, association.pk if association else None, commune.pk if commune else None)
    values = rules.check_training(
        held_on=held_on, audience=audience, trainees=trainees, planned=planned, organizer=organizer
    )
    _refuse_twice(
        acting_user,
        Training.objects.filter(association=association, commune=commune, **values),
        "audience",
        "Lớp tập huấn này đã được ghi (cùng ngày, đơn vị, đối tượng và số học viên).",
    )
    training = Training.objects.create(association=association, commune=commune, **values)
    audit_record(
        user=acting_user,
        action="training.record",
        obj=training,
        data={"held_on": held_on, "trainees": trainees, "planned": planned},
    )
    return training


@transaction.atomic
def training_update(
    *,
    training: Training,
    held_on: date,
    audience: str,
    trainees: int,
    planned: int | None = None,
    association: Association | None = None,
    commune: Commune | None = None,
    organizer: str = "",
    acting_user,
) -> Training:
    """Correct a training course: an officer corrects their association's, and keeps it so."""
    training = Training.objects.select_for_update().get(pk=training.pk)
    _check_writer(acting_user, training.association_id, training.commune_id)
    _check_writer(acting_user, association.pk if association else None, commune.pk if commune else None)
    values = rules.check_training(
        held_on=held_on, audience=audience, trainees=trainees, planned=planned, organizer=organizer
    )
    changes = _apply(training, {**values, "association": association, "commune": commune})
    if changes:
        training.save(update_fields=list(changes))
        audit_record(user=acting_user, action="training.update", obj=training, data={"changes": changes})
    return training


# -- news items and commune loudspeaker broadcasts ------------------------------------------------
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
    """Record a news item about policy credit on one channel; a commune loudspeaker
    broadcast names its commune."""
    _check_writer(acting_user, association.pk, commune.pk if commune else None)
    values = rules.check_news_item(
        published_on=published_on, channel=channel, title=title, commune_given=commune is not None
    )
    _refuse_twice(
        acting_user,
        NewsItem.objects.filter(association=association, commune=commune, **values),
        "title",
        "Tin này đã được ghi (cùng ngày, hội, xã, kênh và tiêu đề).",
    )
    item = NewsItem.objects.create(association=association, commune=commune, **values)
    audit_record(
        user=acting_user,
        action="news.record",
        obj=item,
        data={"published_on": published_on, "channel": channel, "title": item.title},
    )
    return item


@transaction.atomic
def news_item_update(
    *,
    item: NewsItem,
    published_on: date,
    association: Association,
    channel: str,
    title: str,
    commune: Commune | None = None,
    acting_user,
) -> NewsItem:
    """Correct a news item or broadcast: an officer corrects their association's, and keeps it so."""
    item = NewsItem.objects.select_for_update().get(pk=item.pk)
    _check_writer(acting_user, item.association_id, item.commune_id)
    _check_writer(acting_user, association.pk, commune.pk if commune else None)
    values = rules.check_news_item(
        published_on=published_on, channel=channel, title=title, commune_given=commune is not None
    )
    changes = _apply(item, {**values, "association": association, "commune": commune})
    if changes:
        item.save(update_fields=list(changes))
        audit_record(user=acting_user, action="news.update", obj=item, data={"changes": changes})
    return item
