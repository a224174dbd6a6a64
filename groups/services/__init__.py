"""Every write to the organization. Views, the importer and the demo call these."""

from .organization import (
    commune_create,
    commune_transaction_day_change,
    group_create,
    group_dissolve,
    group_transfer,
    member_move,
    member_register,
    membership_add,
    membership_end,
)
from .outreach import (
    meeting_record,
    meeting_update,
    news_item_record,
    news_item_update,
    training_record,
    training_update,
)

__all__ = [
    "commune_create",
    "commune_transaction_day_change",
    "group_create",
    "group_dissolve",
    "group_transfer",
    "meeting_record",
    "meeting_update",
    "member_move",
    "member_register",
    "membership_add",
    "membership_end",
    "news_item_record",
    "news_item_update",
    "training_record",
    "training_update",
]
