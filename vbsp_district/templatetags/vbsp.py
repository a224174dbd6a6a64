"""Vietnamese formats in templates: {{ amount|vnd }}, {{ day|vn_date }}, {{ ratio|pct }},
{{ row|label:"kind" }}."""

from functools import cache

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


@cache
def _choices(model, field_name: str) -> dict:
    return dict(model._meta.get_field(field_name).flatchoices)


@register.filter
def label(obj, field_name: str):
    """A choice field's label, as `get_<field>_display` gives it, for rows in a loop: the
    choices are looked up once per model, not rebuilt for every row."""
    value = getattr(obj, field_name)
    return _choices(type(obj), field_name).get(value, value)
