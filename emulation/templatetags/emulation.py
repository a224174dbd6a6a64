"""The grading's criteria and conditions by their Vietnamese names: {{ code|criterion }},
{{ code|condition }}."""

from django import template

register = template.Library()

CRITERIA = {
    "transaction_day": "Giao dịch đúng ngày",
    "overdue": "Nợ quá hạn",
    "principal_collection": "Thu nợ gốc",
    "interest_collection": "Thu lãi",
    "members_saving": "Tổ viên gửi tiết kiệm",
    "savings_growth": "Tăng tiết kiệm",
}
CONDITIONS = {
    "groups_good": "Tổ tốt, khá",
    "overdue": "Nợ quá hạn dưới ngưỡng",
    "broadcasts": "Tin trên loa truyền thanh xã",
}


@register.filter
def criterion(code: str) -> str:
    return CRITERIA.get(code, code)


@register.filter
def condition(code: str) -> str:
    return CONDITIONS.get(code, code)


HISTORY = 24  # months of grades on a group's page


@register.inclusion_tag("emulation/_group_grades.html", takes_context=True)
def group_grades(context, group):
    """A group's monthly grades (the two years to the page's date) and, for the month chosen with
    `?month=YYYY-MM` (else the latest), each criterion's figure and points. An officer
    sees only the months their association managed the group."""
    from ..forms import band_rows
    from ..models import GroupGrade

    scope = context["scope"]
    as_of = context["as_of"]
    grades = GroupGrade.objects.filter(group=group, month_end__lte=as_of).select_related("rules").order_by("-month_end")
    if not scope.sees_everything:
        grades = grades.filter(association_id=scope.association_id)
    grades = list(grades[:HISTORY])
    asked = context["request"].GET.get("month", "")
    chosen = next((g for g in grades if g.month == asked), grades[0] if grades else None)
    rows = []
    if chosen is not None:
        titles = {c["code"]: c for c in chosen.rules.rules["criteria"]}
        for c in chosen.criteria:
            rule = titles.get(c["code"], {})
            rows.append(
                {
                    "title": rule.get("title", criterion(c["code"])),
                    "value": c["value"],
                    "amount": c["code"] == "savings_growth",
                    "points": c["points"],
                    "most": rule.get("points"),
                }
            )
    bands = band_rows(chosen.rules.rules) if chosen is not None else []
    colours = {"Tốt": "success", "Khá": "primary", "Trung bình": "warning", "Yếu": "danger"}
    for g in grades:
        g.colour = colours.get(g.grade, "secondary")
    return {"grades": grades, "chosen": chosen, "rows": rows, "group": group, "as_of": as_of, "bands": bands}
