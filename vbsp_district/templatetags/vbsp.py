"""Vietnamese formats in templates: {{ amount|vnd }}, {{ day|vn_date }}, {{ ratio|pct }}."""

from django import template

from vbsp_district.core import money

register = template.Library()


@register.filter
def vnd(value):
    """1234567 → 1.234.567 (None → —)."""
    if value is None or value == "":
        return "—"
    return money.vnd(int(value))


@register.filter
def vn_date(value):
    return money.vn_date(value) if value else ""


@register.filter
def pct(value, digits=2):
    """A ratio as a percentage: 0.0011 → 0,11 % (None → —)."""
    return money.percent(value, int(digits))
