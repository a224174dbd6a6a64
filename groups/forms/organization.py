"""Forms of the organization pages. Field names are the services' keyword arguments."""

from django import forms
from django.forms.boundfield import BoundField
from django.utils import timezone

from vbsp_district.core.forms import BankForm, VNDateField

from ..models import Association, Commune, Member, SavingsGroup


class _BootstrapBoundField(BoundField):
    """Marks a field with errors `is-invalid`, so Bootstrap shows its message under it."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            css = attrs.get("class") or (widget or self.field.widget).attrs.get("class", "")
            attrs["class"] = f"{css} is-invalid".strip()
        return attrs


class OrganizationForm(BankForm):
    bound_field_class = _BootstrapBoundField


class GroupChoiceField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": "Tổ đã chọn không có hoặc đã giải thể."}

    def label_from_instance(self, obj):
        return f"{obj.code} – {obj.name} ({obj.commune.name})"


def open_groups():
    """Groups that can take members: not dissolved, by commune and code."""
    return (
        SavingsGroup.objects.filter(dissolved_on__isnull=True)
        .select_related("commune")
        .order_by("commune__code", "code")
    )


class MemberRegisterForm(OrganizationForm):
    national_id = forms.CharField(label="Số CCCD/CMND", max_length=12, help_text="9 hoặc 12 chữ số.")
    full_name = forms.CharField(label="Họ và tên chủ hộ", max_length=100)
    gender = forms.ChoiceField(label="Giới tính", choices=[("", "—")] + Member.Gender.choices, required=False)
    birth_year = forms.IntegerField(
        label="Năm sinh",
        required=False,
        min_value=1900,
        max_value=2100,
        error_messages={
            "invalid": "Năm sinh phải là số, ví dụ 1980.",
            "min_value": "Năm sinh không hợp lệ.",
            "max_value": "Năm sinh không hợp lệ.",
        },
    )
    commune = forms.ModelChoiceField(label="Xã, thị trấn", queryset=Commune.objects.order_by("code"))
    village = forms.CharField(label="Thôn, xóm", max_length=100, required=False)
    household_category = forms.CharField(
        label="Đối tượng hộ", max_length=50, required=False, help_text="Ví dụ: hộ nghèo, hộ cận nghèo."
    )
    group = GroupChoiceField(
        label="Vào tổ TK&VV",
        queryset=open_groups(),
        required=False,
        empty_label="— Chưa vào tổ —",
        help_text="Tổ phải cùng xã với hộ vay.",
    )
    joined_on = VNDateField(label="Ngày vào tổ", required=False)


class GroupCreateForm(OrganizationForm):
    code = forms.CharField(label="Mã tổ", max_length=20)
    name = forms.CharField(label="Tên tổ", max_length=150)
    commune = forms.ModelChoiceField(label="Xã, thị trấn", queryset=Commune.objects.order_by("code"))
    association = forms.ModelChoiceField(label="Tổ chức hội quản lý", queryset=Association.objects.order_by("position"))
    founded_on = VNDateField(label="Ngày thành lập", initial=timezone.localdate)
    village = forms.CharField(label="Thôn, xóm", max_length=100, required=False)
    leader_name = forms.CharField(label="Tổ trưởng", max_length=100, required=False)
    meeting_day = forms.IntegerField(
        label="Ngày sinh hoạt tổ hằng tháng",
        min_value=1,
        max_value=31,
        required=False,
        error_messages={
            "invalid": "Ngày sinh hoạt tổ phải từ 1 đến 31.",
            "min_value": "Ngày sinh hoạt tổ phải từ 1 đến 31.",
            "max_value": "Ngày sinh hoạt tổ phải từ 1 đến 31.",
        },
    )


class GroupTransferForm(OrganizationForm):
    association = forms.ModelChoiceField(
        label="Chuyển cho tổ chức hội", queryset=Association.objects.order_by("position")
    )
    effective_on = VNDateField(label="Hiệu lực từ ngày", initial=timezone.localdate)


class TransactionDayChangeForm(OrganizationForm):
    transaction_day = forms.IntegerField(
        label="Ngày giao dịch mới (hằng tháng)",
        min_value=1,
        max_value=31,
        error_messages={
            "min_value": "Ngày giao dịch xã phải từ 1 đến 31.",
            "max_value": "Ngày giao dịch xã phải từ 1 đến 31.",
        },
    )
    effective_on = VNDateField(
        label="Hiệu lực từ ngày", help_text="Ngày đầu một tháng: tháng đó và các tháng sau giao dịch theo ngày mới."
    )


class MemberMoveForm(OrganizationForm):
    group = GroupChoiceField(
        label="Chuyển sang tổ",
        queryset=SavingsGroup.objects.none(),
        help_text="Từ ngày chuyển, hộ vay trả lãi vào ngày giao dịch của xã có tổ mới.",
    )
    moved_on = VNDateField(label="Ngày chuyển tổ", initial=timezone.localdate)

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        # Any open group, also of another commune (the member is billed on its day from the
        # move on); the select groups them by commune, the member's own first.
        field = self.fields["group"]
        field.queryset = open_groups()
        field.choices = lambda: grouped_by_commune(field.queryset, first=member.commune_id)


def grouped_by_commune(groups, *, first: int) -> list:
    """Choices of `groups` under a heading per commune (with its transaction day), the
    commune `first` at the top, then by commune code."""
    by_commune = {}
    for group in groups:
        by_commune.setdefault(group.commune_id, (group.commune, []))[1].append(
            (group.pk, f"{group.code} – {group.name}")
        )
    order = sorted(by_commune, key=lambda pk: (pk != first, by_commune[pk][0].code))
    return [("", "---------")] + [
        (f"{commune} (ngày giao dịch {commune.transaction_day})", options)
        for commune, options in (by_commune[pk] for pk in order)
    ]
