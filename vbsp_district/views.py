"""The audit trail, for managers: who did what and when, newest first, filtered by user,
object, action and date, a page at a time (each page starts below the last one's oldest
event, so a page costs the same however long the trail)."""

from django import forms
from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .access.pages import deny_unless_manager
from .core.forms import BankForm, VNDateField
from .models import AuditEvent

PAGE = 100


class AuditFilterForm(BankForm):
    user = forms.ModelChoiceField(label="Người thực hiện", queryset=None, required=False, empty_label="Tất cả")
    action = forms.ChoiceField(label="Thao tác", required=False)
    object_type = forms.ChoiceField(label="Loại đối tượng", required=False)
    object_key = forms.CharField(label="Khóa đối tượng", required=False, max_length=64)
    date_from = VNDateField(label="Từ ngày", required=False)
    date_to = VNDateField(label="Đến ngày", required=False)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.order_by("username")
        for name in ("action", "object_type"):
            values = AuditEvent.objects.order_by(name).values_list(name, flat=True).distinct()
            self.fields[name].choices = [("", "Tất cả"), *((v, v) for v in values)]

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", "Đến ngày phải từ ngày “Từ ngày” trở đi.")
        return data


def _data_text(data, limit: int = 400) -> str:
    """An event's data as 'name: value; …', cut to `limit` characters (escaped by the template)."""
    if isinstance(data, dict):
        text = "; ".join(f"{key}: {_data_text(value, limit)}" for key, value in data.items())
    elif isinstance(data, list):
        text = ", ".join(_data_text(value, limit) for value in data)
    else:
        text = "" if data is None else str(data)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _filtered(data: dict):
    events = AuditEvent.objects.select_related("user")
    if data.get("user"):
        events = events.filter(user=data["user"])
    for name in ("action", "object_type", "object_key"):
        if data.get(name):
            events = events.filter(**{name: data[name]})
    if data.get("date_from"):
        events = events.filter(occurred_at__date__gte=data["date_from"])
    if data.get("date_to"):
        events = events.filter(occurred_at__date__lte=data["date_to"])
    if data.get("before"):
        events = events.filter(pk__lt=data["before"])
    return events.order_by("-pk")


@require_GET
def audit_trail(request):
    deny_unless_manager(request)
    form = AuditFilterForm(request.GET or None)
    events, more = [], None
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        found = list(_filtered(data)[: PAGE + 1])
        events = [(event, _data_text(event.data)) for event in found[:PAGE]]
        if len(found) > PAGE:
            query = request.GET.copy()
            query["before"] = found[PAGE - 1].pk
            more = query.urlencode()
    return render(request, "audit/trail.html", {"form": form, "events": events, "more": more, "page_size": PAGE})
