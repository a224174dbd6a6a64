"""Forms of the outreach pages: group meetings, trainings, news items, commune broadcasts,
and the lists' filters. The association and commune choices are those the user's scope
may record for, so an officer's form offers their own only, and a posted id of another
association is refused on its field."""

from django import forms
from django.utils import timezone

from vbsp_district.core.forms import CountField, VNDateField

from ..models import NewsItem
from ..rules import MAX_ATTENDEES, MAX_TRAINEES, OWN_ASSOCIATION_ONLY, OWN_COMMUNE_ONLY
from .organization import OrganizationForm


def _count_field(label: str, *, required: bool, low: int, high: int, help_text: str = "") -> CountField:
    most = f"{high:,}".replace(",", ".")
    return CountField(
        label=label,
        min_value=low,
        max_value=high,
        required=required,
        help_text=help_text,
        error_messages={
            "invalid": f"{label} phải là số nguyên.",
            "min_value": f"{label} không được âm." if low == 0 else f"{label} phải là số nguyên dương.",
            "max_value": f"{label} quá lớn (tối đa {most}).",
        },
    )


class MeetingRecordForm(OrganizationForm):
    held_on = VNDateField(label="Ngày họp", initial=timezone.localdate)
    attendees = _count_field("Số người dự", required=False, low=0, high=MAX_ATTENDEES)
    notes = forms.CharField(label="Nội dung", widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, timing_url: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if timing_url:
            # The hint under the date says at once whether the day is on time (htmx).
            self.fields["held_on"].widget.attrs.update(
                {
                    "hx-get": timing_url,
                    "hx-trigger": "change, keyup changed delay:400ms",
                    "hx-target": "#meeting-timing",
                    "aria-describedby": "meeting-timing",
                }
            )


class OutreachForm(OrganizationForm):
    """A record of one association (in one commune, or at district level)."""

    association_label = "Tổ chức hội"
    association_optional = False  # a training may be the branch's own, of no association

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        association = self.fields["association"]
        commune = self.fields["commune"]
        association.queryset = scope.outreach_associations().order_by("position")
        commune.queryset = scope.outreach_communes().order_by("code")
        if scope.is_officer:
            association.required = True
            association.empty_label = None
            association.error_messages["invalid_choice"] = OWN_ASSOCIATION_ONLY
            commune.error_messages["invalid_choice"] = (
                OWN_COMMUNE_ONLY if scope.commune_id else "Xã đã chọn không có tổ chức hội của bạn."
            )
            if scope.commune_id:
                commune.required = True
                commune.empty_label = None
            if not self.is_bound and not self.initial.get("association"):
                self.initial["association"] = scope.association_id


class TrainingForm(OutreachForm):
    held_on = VNDateField(label="Ngày tập huấn", initial=timezone.localdate)
    association = forms.ModelChoiceField(
        label="Tổ chức hội",
        queryset=None,
        required=False,
        empty_label="— Phòng giao dịch tổ chức chung —",
        error_messages={"invalid_choice": "Tổ chức hội đã chọn không có."},
    )
    commune = forms.ModelChoiceField(
        label="Xã, thị trấn",
        queryset=None,
        required=False,
        empty_label="— Cấp huyện —",
        error_messages={"invalid_choice": "Xã đã chọn không có."},
    )
    organizer = forms.CharField(label="Đơn vị tổ chức", max_length=100, required=False)
    audience = forms.CharField(
        label="Đối tượng tập huấn", max_length=200, help_text="Ví dụ: Ban quản lý tổ TK&VV, cán bộ hội cấp xã."
    )
    trainees = _count_field("Số học viên", required=True, low=1, high=MAX_TRAINEES)
    planned = _count_field("Số học viên kế hoạch", required=False, low=1, high=MAX_TRAINEES)

    @staticmethod
    def initial_of(training) -> dict:
        return {
            "held_on": training.held_on,
            "association": training.association_id,
            "commune": training.commune_id,
            "organizer": training.organizer,
            "audience": training.audience,
            "trainees": training.trainees,
            "planned": training.planned,
        }


# News on every channel but the commune loudspeaker, which has its own pages.
NEWS_CHANNELS = [
    (value, label) for value, label in NewsItem.Channel.choices if value != NewsItem.Channel.COMMUNE_LOUDSPEAKER
]


class NewsItemForm(OutreachForm):
    published_on = VNDateField(label="Ngày đăng", initial=timezone.localdate)
    association = forms.ModelChoiceField(
        label="Tổ chức hội",
        queryset=None,
        error_messages={"invalid_choice": "Tổ chức hội đã chọn không có."},
    )
    commune = forms.ModelChoiceField(
        label="Hội cấp xã",
        queryset=None,
        required=False,
        empty_label="— Cấp huyện —",
        help_text="Chọn xã khi tin bài do hội cấp xã viết.",
        error_messages={"invalid_choice": "Xã đã chọn không có."},
    )
    channel = forms.ChoiceField(
        label="Kênh",
        choices=[("", "—")] + NEWS_CHANNELS,
        error_messages={
            "invalid_choice": "Kênh đã chọn không có; tin trên đài truyền thanh xã ghi ở mục Phát thanh xã."
        },
    )
    title = forms.CharField(label="Tiêu đề", max_length=300)

    @staticmethod
    def initial_of(item) -> dict:
        return {
            "published_on": item.published_on,
            "association": item.association_id,
            "commune": item.commune_id,
            "channel": item.channel,
            "title": item.title,
        }


class BroadcastForm(OutreachForm):
    """A news item on the commune loudspeaker (its channel is the page's, not a field)."""

    published_on = VNDateField(label="Ngày phát", initial=timezone.localdate)
    association = forms.ModelChoiceField(
        label="Tổ chức hội",
        queryset=None,
        error_messages={"invalid_choice": "Tổ chức hội đã chọn không có."},
    )
    commune = forms.ModelChoiceField(
        label="Xã, thị trấn",
        queryset=None,
        error_messages={"invalid_choice": "Xã đã chọn không có."},
    )
    title = forms.CharField(label="Nội dung tin phát", max_length=300)

    @staticmethod
    def initial_of(item) -> dict:
        return {
            "published_on": item.published_on,
            "association": item.association_id,
            "commune": item.commune_id,
            "title": item.title,
        }


# -- the lists' filters -------------------------------------------------------------------------
class OutreachFilterForm(forms.Form):
    """A list's filters (GET): year, association, commune, and channel for news items."""

    year = forms.TypedChoiceField(label="Năm", coerce=int, required=False, empty_value=None)
    association = forms.ModelChoiceField(label="Tổ chức hội", queryset=None, required=False, empty_label="Tất cả")
    commune = forms.ModelChoiceField(label="Xã, thị trấn", queryset=None, required=False, empty_label="Tất cả")
    channel = forms.ChoiceField(label="Kênh", choices=[("", "Tất cả")] + NEWS_CHANNELS, required=False)

    def __init__(self, *args, scope, years, channels: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "Tất cả các năm")] + [(y, str(y)) for y in years]
        self.fields["association"].queryset = scope.associations().order_by("position")
        self.fields["commune"].queryset = scope.communes().order_by("code")
        if not channels:
            del self.fields["channel"]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self, day_field: str) -> dict:
        """The valid filters as lookups (an invalid one is left out)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        lookups = {}
        if data.get("year"):
            lookups[f"{day_field}__year"] = data["year"]
        for name in ("association", "commune", "channel"):
            if data.get(name):
                lookups[name] = data[name]
        return lookups
