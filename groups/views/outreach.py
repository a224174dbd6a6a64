"""Outreach pages: trainings, news items and commune loudspeaker broadcasts, each a list
with filters and pages, a form to record one and a form to correct each.

Rows are looked up through `request.scope`: an officer sees and corrects their own
association's (their commune's, at commune level) and gets a 404 for another's; the
forms offer only the units the scope may record for. Each form makes one service call.
"""

from django.contrib import messages
from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from vbsp_district.core.forms import call_service
from vbsp_district.core.money import vn_date, vnd

from .. import services
from ..forms import BroadcastForm, NewsItemForm, OutreachFilterForm, TrainingForm
from ..models import NewsItem
from ._pages import page_of, reader_required, recorder_required

FILTERS = ("year", "association", "commune", "channel")
LOUDSPEAKER = NewsItem.Channel.COMMUNE_LOUDSPEAKER


def _filtered(request, visible, day_field: str, channels: bool = False):
    """The filter form and the visible rows it keeps. With no filter asked, this year's."""
    today = timezone.localdate()
    years = sorted({d.year for d in visible.dates(day_field, "year")} | {today.year}, reverse=True)
    data = request.GET if any(key in request.GET for key in FILTERS) else {"year": str(today.year)}
    form = OutreachFilterForm(data, scope=request.scope, years=years, channels=channels)
    return form, visible.filter(**form.filters(day_field))


def _list_context(form, page, query, **context) -> dict:
    return {"filters": form, "year": form.cleaned_data.get("year"), "page": page, "query": query, **context}


def _listed(url_name: str, year: int) -> str:
    return f"{reverse(url_name)}?year={year}"


def _form_page(request, form, *, title: str, submit: str, cancel: str, intro: str = ""):
    context = {"form": form, "title": title, "submit": submit, "cancel": cancel, "intro": intro}
    return render(request, "groups/outreach_form.html", context)


# -- trainings ---------------------------------------------------------------------------------
def _training_totals(rows) -> dict:
    """The courses' trainees against plan; the plan compared with the courses that have one."""
    totals = rows.aggregate(
        courses=Count("id"),
        total_trainees=Sum("trainees", default=0),
        total_planned=Sum("planned", default=0),
        trainees_of_planned=Sum("trainees", filter=Q(planned__isnull=False), default=0),
        unplanned=Count("id", filter=Q(planned__isnull=True)),
    )
    planned = totals["total_planned"]
    totals["achieved"] = totals["trainees_of_planned"] / planned if planned else None
    return totals


@reader_required
def training_list(request):
    form, rows = _filtered(request, request.scope.trainings(), "held_on")
    by_association = (
        rows.order_by(F("association__position").asc(nulls_last=True))
        .values("association__position", "association__name")
        .annotate(
            courses=Count("id"),
            total_trainees=Sum("trainees", default=0),
            total_planned=Sum("planned", default=0),
        )
    )
    page, query = page_of(request, rows.select_related("association", "commune").order_by("-held_on", "-id"))
    context = _list_context(form, page, query, totals=_training_totals(rows), by_association=list(by_association))
    return render(request, "groups/training_list.html", context)


def _training_message(training, verb: str) -> str:
    message = (
        f"{verb} lớp tập huấn ngày {vn_date(training.held_on)} ({training.audience}): {vnd(training.trainees)} học viên"
    )
    if training.planned:
        message += f", kế hoạch {vnd(training.planned)}"
    return message + "."


@recorder_required
def training_record(request):
    form = TrainingForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        training = call_service(form, services.training_record, acting_user=request.user, **form.cleaned_data)
        if training is not None:
            messages.success(request, _training_message(training, "Đã ghi"))
            return redirect(_listed("training_list", training.held_on.year))
    return _form_page(
        request, form, title="Ghi lớp tập huấn", submit="Ghi lớp tập huấn", cancel=reverse("training_list")
    )


@recorder_required
def training_update(request, pk):
    training = get_object_or_404(request.scope.trainings(), pk=pk)
    form = TrainingForm(request.POST or None, scope=request.scope, initial=TrainingForm.initial_of(training))
    if request.method == "POST" and form.is_valid():
        training = call_service(
            form, services.training_update, training=training, acting_user=request.user, **form.cleaned_data
        )
        if training is not None:
            messages.success(request, _training_message(training, "Đã sửa"))
            return redirect(_listed("training_list", training.held_on.year))
    return _form_page(
        request,
        form,
        title=f"Sửa lớp tập huấn ngày {vn_date(training.held_on)}",
        submit="Lưu",
        cancel=_listed("training_list", training.held_on.year),
    )


# -- news items and commune loudspeaker broadcasts ------------------------------------------------
def _news_list(request, *, broadcasts: bool):
    visible = request.scope.news_items()
    visible = visible.filter(channel=LOUDSPEAKER) if broadcasts else visible.exclude(channel=LOUDSPEAKER)
    form, rows = _filtered(request, visible, "published_on", channels=not broadcasts)
    page, query = page_of(request, rows.select_related("association", "commune").order_by("-published_on", "-id"))
    totals = rows.aggregate(count=Count("id"), communes=Count("commune", distinct=True))
    context = _list_context(form, page, query, totals=totals, broadcasts=broadcasts)
    return render(request, "groups/news_item_list.html", context)


@reader_required
def news_item_list(request):
    return _news_list(request, broadcasts=False)


@reader_required
def broadcast_list(request):
    return _news_list(request, broadcasts=True)


def _news_message(item, verb: str) -> str:
    if item.channel == LOUDSPEAKER:
        return f"{verb} tin phát thanh xã {item.commune.name} ngày {vn_date(item.published_on)}: {item.title}."
    return f"{verb} tin bài ngày {vn_date(item.published_on)} ({item.get_channel_display()}): {item.title}."


def _news_item_record(request, *, broadcasts: bool):
    form_class, list_name = (BroadcastForm, "broadcast_list") if broadcasts else (NewsItemForm, "news_item_list")
    form = form_class(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data | ({"channel": LOUDSPEAKER} if broadcasts else {})
        item = call_service(form, services.news_item_record, acting_user=request.user, **values)
        if item is not None:
            messages.success(request, _news_message(item, "Đã ghi"))
            return redirect(_listed(list_name, item.published_on.year))
    title = "Ghi tin phát thanh xã" if broadcasts else "Ghi tin bài tuyên truyền"
    intro = "Tin về tín dụng chính sách phát trên đài truyền thanh của xã." if broadcasts else ""
    return _form_page(request, form, title=title, submit=title, cancel=reverse(list_name), intro=intro)


def _news_item_update(request, pk, *, broadcasts: bool):
    visible = request.scope.news_items()
    visible = visible.filter(channel=LOUDSPEAKER) if broadcasts else visible.exclude(channel=LOUDSPEAKER)
    item = get_object_or_404(visible, pk=pk)
    form_class, list_name = (BroadcastForm, "broadcast_list") if broadcasts else (NewsItemForm, "news_item_list")
    form = form_class(request.POST or None, scope=request.scope, initial=form_class.initial_of(item))
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data | ({"channel": LOUDSPEAKER} if broadcasts else {})
        item = call_service(form, services.news_item_update, item=item, acting_user=request.user, **values)
        if item is not None:
            messages.success(request, _news_message(item, "Đã sửa"))
            return redirect(_listed(list_name, item.published_on.year))
    title = "Sửa tin phát thanh xã" if broadcasts else "Sửa tin bài"
    return _form_page(
        request,
        form,
        title=f"{title} ngày {vn_date(item.published_on)}",
        submit="Lưu",
        cancel=_listed(list_name, item.published_on.year),
    )


@recorder_required
def news_item_record(request):
    return _news_item_record(request, broadcasts=False)


@recorder_required
def broadcast_record(request):
    return _news_item_record(request, broadcasts=True)


@recorder_required
def news_item_update(request, pk):
    return _news_item_update(request, pk, broadcasts=False)


@recorder_required
def broadcast_update(request, pk):
    return _news_item_update(request, pk, broadcasts=True)
