"""The dashboards' charts: drawn on the server as SVG by pygal, so that the same chart
serves the page and the quarterly PDF; nothing is loaded from the internet (no script:
the figures are in the chart's table).

A chart is a title, the months on the x axis and one line per series. Each point carries
its figure as the app writes it (`1.234.567` đồng, `12,34 %`) in the SVG
(`<desc class="value">`), and `Chart.table` holds the same strings for the table view.
"""

import functools
import re
from dataclasses import dataclass
from fractions import Fraction

import pygal
from django.utils.html import escape
from django.utils.safestring import mark_safe
from pygal.style import Style

from reporting.periods import Period
from vbsp_district.core.money import percent, round_half_up, vnd

AMOUNT, RATIO = "amount", "ratio"
MISSING = "—"

# the associations keep their colour on every chart; the unit's own line is the bank's green
COLOURS = {"total": "#0b6e4f", "HND": "#b8860b", "HPN": "#c2185b", "CCB": "#2e5e8c", "DTN": "#6f42c1"}
SPARE = ("#fd7e14", "#20c997", "#6c757d")

_STYLE = {
    "background": "white",
    "plot_background": "white",
    "foreground": "#333",
    "foreground_strong": "#222",
    "foreground_subtle": "#ddd",
    "font_family": "DejaVu Sans, Arial, sans-serif",
    "label_font_size": 14,
    "major_label_font_size": 14,
    "legend_font_size": 15,
    "title_font_size": 17,
    "value_font_size": 12,
    "tooltip_font_size": 14,
}


def _amount_axis(value) -> str:
    """A y-axis label: amounts in million or billion đồng, the Vietnamese way."""
    value = round(value)
    if abs(value) >= 10**9:
        return f"{_decimal(Fraction(value, 10**9))} tỷ"
    if abs(value) >= 10**6:
        return f"{_decimal(Fraction(value, 10**6))} tr"
    return vnd(value)


def _decimal(value: Fraction) -> str:
    """One decimal, comma as the separator, thousands with dots: 1.234,5."""
    tenths = round_half_up(value * 10)
    whole, tenth = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{vnd(whole)},{tenth}" if tenth else f"{sign}{vnd(whole)}"


def _ratio_axis(value) -> str:
    return percent(value, 2)


def written(value, kind: str) -> str:
    """A figure as the chart's point and its table write it."""
    if value is None:
        return MISSING
    return vnd(value) if kind == AMOUNT else percent(value, 2)


@dataclass
class Chart:
    key: str
    title: str
    kind: str
    months: list[str]  # mm/yyyy
    series: list[tuple[str, str, list]]  # (code, name, values: int, float or None)
    from_zero: bool = True  # the y axis starts at 0 (a rate near 100 % is drawn zoomed in)

    @property
    def table(self) -> dict:
        """The chart's figures as its table view writes them: a row a month, a column a series."""
        return {
            "columns": [name for _code, name, _values in self.series],
            "rows": [
                (month, [written(values[i], self.kind) for _code, _name, values in self.series])
                for i, month in enumerate(self.months)
            ],
        }

    def svg(self) -> str:
        """The chart, as an inline SVG element (its ids are the chart's key, so the page's
        charts and the PDF's are the same bytes for the same figures)."""
        series = tuple((code, name, tuple(values)) for code, name, values in self.series)
        # pygal escapes the titles, names and labels it writes
        return mark_safe(_drawn(self.key, self.title, self.kind, tuple(self.months), series, self.from_zero))


@functools.lru_cache(maxsize=512)
def _drawn(key: str, title: str, kind: str, months: tuple, series: tuple, from_zero: bool) -> str:
    """The SVG of a line chart: a pure function of its arguments, drawn once for the same
    figures (every dashboard of a month end asks for the same charts)."""
    config = pygal.Config(
        style=Style(colors=_colours(series), **_STYLE),
        js=[],
        width=820,
        height=400,
        title=title,
        x_label_rotation=0,
        truncate_label=-1,
        truncate_legend=-1,
        show_minor_x_labels=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=min(len(series), 3),
        show_legend=len(series) > 1,
        dots_size=3,
        stroke_style={"width": 2.5},
        value_formatter=_amount_axis if kind == AMOUNT else _ratio_axis,
        formatter=lambda v: written(v, kind),
        disable_xml_declaration=True,
        allow_interruptions=True,
        include_x_axis=from_zero,
        margin=12,
        range=_flat_range(series, kind, from_zero),
        # room under the plot for every row of the legend (pygal sizes one row)
        margin_bottom=12 + 24 * ((len(series) - 1) // 3 if len(series) > 1 else 0),
    )
    chart = pygal.Line(config)
    chart.x_labels = list(months)
    chart.x_labels_major = list(months[:: max(len(months) // 8, 1)])
    for _code, name, values in series:
        chart.add(name, list(values))
    svg = chart.render(is_unicode=True)
    # a stable id in place of pygal's random one; no generator comments with today's date,
    # no script (pygal writes its configuration for its tooltips even without them)
    svg = svg.replace(f"chart-{chart.uuid}", f"chart-{key}")
    svg = re.sub(r"<!--.*?-->", "", svg)
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)


def _flat_range(series: tuple, kind: str, from_zero: bool) -> tuple | None:
    """A y range for figures that barely move (all 0, say), where pygal's own would label
    its axis with fractions of a đồng: at least a million đồng, or one per cent."""
    values = [v for _code, _name, points in series for v in points if v is not None]
    if not values:
        return None
    span = 1_000_000 if kind == AMOUNT else 0.01
    low = min(0, min(values)) if from_zero else min(values)
    if max(values) - low >= span:
        return None
    return (low, low + span)


def _colours(series: tuple) -> tuple:
    spare = iter(SPARE)
    return tuple(COLOURS.get(code) or next(spare, "#333") for code, _name, _values in series)


def month_labels(months: list[Period]) -> list[str]:
    return [f"{p.start.month:02d}/{p.start.year}" for p in months]


def trend_charts(trends, unit_name: str) -> list[Chart]:
    """The four trend charts of a dashboard: outstanding, overdue ratio, interest
    collection rate and savings, 24 months; the district's also by association."""
    months = month_labels(trends.months)

    def series(name: str) -> list[tuple[str, str, list]]:
        lines = [("total", unit_name, [p[name] for p in trends.total])]
        lines += [(code, label, [p[name] for p in points]) for code, label, points in trends.associations]
        return lines

    return [
        Chart("outstanding", "Dư nợ cuối tháng (đồng)", AMOUNT, months, series("outstanding")),
        Chart("overdue-ratio", "Tỷ lệ nợ quá hạn cuối tháng", RATIO, months, series("overdue_ratio")),
        Chart(
            "interest-rate",
            "Tỷ lệ thu lãi trong tháng",
            RATIO,
            months,
            series("interest_collection_rate"),
            from_zero=False,
        ),
        Chart("savings", "Tiền gửi tiết kiệm cuối tháng (đồng)", AMOUNT, months, series("savings_balance")),
    ]
