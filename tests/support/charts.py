"""Reading the dashboards' charts back: the figures each SVG draws and those of its table."""

import re

CHART_KEYS = ["outstanding", "overdue-ratio", "interest-rate", "savings"]


def chart_points(svg: str) -> dict[int, list[str]]:
    """{series index: its point values, in order, as the SVG writes them} (a series with
    no figure has no group)."""
    parts = re.split(r'<g class="series serie-(\d+) color-\d+">', svg)[1:]
    found: dict[int, list[str]] = {}  # pygal writes each series' group more than once (lines, dots, text)
    for index, part in zip(parts[::2], parts[1::2], strict=True):
        found.setdefault(int(index), []).extend(re.findall(r'<desc class="value">([^<]*)</desc>', part))
    return found


def chart_tables(page: str, *, first: str, last: str) -> dict[str, tuple[str, list[list[str]]]]:
    """{chart key: (svg, the columns of its table view)} of a dashboard whose 24 months run
    from `first` to `last` (mm/yyyy)."""
    found = {}
    for key in CHART_KEYS:
        start = page.index(f'id="chart-{key}"')
        block = page[start : page.index("</figure>", start)]
        svg = block[block.index("<svg") : block.index("</svg>")]
        rows = re.findall(r'<tr><th scope="row" class="fw-normal">(\d\d/\d{4})</th>(.*?)</tr>', block)
        values = [re.findall(r'<td class="num">([^<]*)</td>', cells) for _month, cells in rows]
        columns = [list(column) for column in zip(*values, strict=True)]
        assert len(rows) == 24, key
        assert rows[0][0] == first and rows[-1][0] == last, key
        found[key] = (svg, columns)
    return found


def assert_charts_hold_their_tables(tables: dict, *, series: int) -> None:
    """Each chart draws, series by series, exactly the figures its table writes (a month
    without a figure, "—", is not drawn)."""
    for key, (svg, columns) in tables.items():
        points = chart_points(svg)
        assert len(columns) == series and set(points) <= set(range(series)), key
        for index, column in enumerate(columns):
            assert points.get(index, []) == [v for v in column if v != "—"], (key, index)
        assert any(points.values()), key
