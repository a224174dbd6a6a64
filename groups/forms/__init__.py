"""Forms of the organization and outreach pages. Field names are the services' keyword arguments."""

from .organization import (
    GroupChoiceField,
    GroupCreateForm,
    GroupTransferForm,
    MemberMoveForm,
    MemberRegisterForm,
    OrganizationForm,
    TransactionDayChangeForm,
    open_groups,
)
from .outreach import (
    NEWS_CHANNELS,
    BroadcastForm,
    MeetingRecordForm,
    NewsItemForm,
    OutreachFilterForm,
    TrainingForm,
)

__all__ = [
    "NEWS_CHANNELS",
    "BroadcastForm",
    "GroupChoiceField",
    "GroupCreateForm",
    "GroupTransferForm",
    "MeetingRecordForm",
    "MemberMoveForm",
    "MemberRegisterForm",
    "NewsItemForm",
    "OrganizationForm",
    "OutreachFilterForm",
    "TrainingForm",
    "TransactionDayChangeForm",
    "open_groups",
]
