"""The organization's pages (`organization`), and the outreach recorded by the associations:
group meetings (`meetings`), trainings, news items and commune broadcasts (`outreach`)."""

from .meetings import group_meetings, meeting_overview, meeting_record, meeting_timing_hint, meeting_update
from .organization import commune_transaction_day, group_create, group_transfer, member_move, member_register
from .outreach import (
    broadcast_list,
    broadcast_record,
    broadcast_update,
    news_item_list,
    news_item_record,
    news_item_update,
    training_list,
    training_record,
    training_update,
)

__all__ = [
    "broadcast_list",
    "broadcast_record",
    "broadcast_update",
    "commune_transaction_day",
    "group_create",
    "group_meetings",
    "group_transfer",
    "meeting_overview",
    "meeting_record",
    "meeting_timing_hint",
    "meeting_update",
    "member_move",
    "member_register",
    "news_item_list",
    "news_item_record",
    "news_item_update",
    "training_list",
    "training_record",
    "training_update",
]
