"""The quarterly report as a PDF (WeasyPrint), in the Vietnamese administrative layout.

`render_pdf(payload, meta)` writes the figures `quarterly.build` made: the office block and
the national motto, the title, the tables in million đồng with one decimal (1.234,5) and
ratios as 0,11 %, the dashboards' trend charts (the same SVG), and the signature block.
Portrait A4 pages, landscape ones (`@page wide`) for the wide tables; "Số liệu tạm tính" on
every page of a provisional report; the issue line (time, issuer, hash) on the last page of
an issued one.

Every figure is written here, as text, from the exact đồng of the payload; the template
only lays the strings out and escapes them (names and codes come from the database).
"""

import logging
from collections import Counter
from fractions import Fraction

from django.template.loader import render_to_string
from django.utils import timezone

from dashboards.charts import trend_charts
from dashboards.figures import Trends
from emulation.scorecard import LEVEL_NAMES
from reporting.periods import Period
from vbsp_district.core.money import round_half_up, vnd
from vbsp_district.core.pdf import pdf_render

from .quarterly import OFFICE, PROVISIONAL, Meta

TEMPLATE = "reports/quarterly_pdf.html"
OVERDUE_ROWS = 50  # the overdue loans listed one by one; the rest in one line
GRADES = ("Tốt", "Khá", "Trung bình", "Yếu")
DISTRICT_NAME = LEVEL_NAMES["district"]
NONE = "—"


class _ChartAnchors(logging.Filter):
    """pygal gives every chart's series the same ids (`activate-serie-0`, …); in one PDF
    WeasyPrint warns of each as an anchor defined twice. The charts carry no links: the
    warning says nothing, and only it is dropped."""

    def filter(self, record):
        return not (record.getMessage().startswith("Anchor defined twice: 'activate-serie-"))


logging.getLogger("weasyprint").addFilter(_ChartAnchors())


# -- the figures as the report writes them ----------------------------------------------------------
def _exact(value) -> Fraction:
    # a float of the payload is a 6-decimal ratio: its shortest repr is the exact decimal
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def million(amount) -> str:
    """Whole đồng in million đồng, one decimal, rounded half up from the exact đồng:
    1_234_550_000 → '1.234,6'; 66_000_000 → '66,0'; None → '—'."""
    if amount is None:
        return NONE
    tenths = round_half_up(_exact(amount) / 100_000)
    whole, tenth = divmod(abs(tenths), 10)
    return f"{'-' if tenths < 0 else ''}{vnd(whole)},{tenth}"


def ratio(value, digits: int = 2) -> str:
    """A fraction as a percentage, rounded half up: 0.0011 → '0,11 %'; None → '—'."""
    if value is None:
        return NONE
    units = round_half_up(_exact(value) * 100 * 10**digits)
    whole, part = divmod(abs(units), 10**digits)
    sign = "-" if units < 0 else ""
    return f"{sign}{vnd(whole)},{part:0{digits}d} %" if digits else f"{sign}{vnd(whole)} %"


def count(n) -> str:
    return NONE if n is None else vnd(n)


def _share(part, whole):
    return None if not whole else Fraction(part, whole)


def _date(iso: str | None) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso else NONE


def _row(name, cells, kind="", no=""):
    return {"no": no, "name": name, "cells": cells, "kind": kind}


# -- the tables -----------------------------------------------------------------------------------
def _summary(payload: dict, meta: Meta) -> dict:
    po, quarter = payload["report"]["portfolio"], payload["report"]["period"]
    year = payload["year_to_date"]["portfolio_period"]
    office = meta.association_code is None
    stock = [("Tổng dư nợ", million(po["outstanding"]))]
    if office:
        stock += [
            ("– Ủy thác qua các tổ chức hội", million(po["entrusted_outstanding"])),
            ("– Cho vay trực tiếp", million(po["direct_outstanding"])),
            ("Tỷ trọng dư nợ ủy thác", ratio(_share(po["entrusted_outstanding"], po["outstanding"]))),
        ]
    stock += [
        ("Dư nợ đầu năm", million(po["outstanding_year_start"])),
        ("Tăng (giảm) so với đầu năm", million(po["outstanding"] - po["outstanding_year_start"])),
        ("Nợ quá hạn", million(po["overdue"])),
        ("Tỷ lệ nợ quá hạn", ratio(_share(po["overdue"], po["outstanding"]))),
    ]
    if office:
        stock += [
            ("Nợ quá hạn ủy thác", million(po["entrusted_overdue"])),
            ("Tỷ lệ nợ quá hạn ủy thác", ratio(_share(po["entrusted_overdue"], po["entrusted_outstanding"]))),
        ]
    other = [
        ("Nợ khoanh", million(po["frozen"])),
        ("Lãi tồn đọng", million(po["interest_arrears"])),
        ("Số dư tiền gửi tiết kiệm", million(po["savings_balance"])),
        ("Số món vay còn dư nợ (món)", count(po["loans"])),
        ("Số hộ còn dư nợ (hộ)", count(po["borrowers"])),
        ("Số tổ TK&VV (tổ)", count(po["groups"])),
        ("Số tổ có tiền gửi tiết kiệm (tổ)", count(po["groups_with_savings"])),
    ]
    # the outstanding and its quality on the left, the rest on the right
    blank = ("", "")
    pairs = [
        (stock[i] if i < len(stock) else blank, other[i] if i < len(other) else blank)
        for i in range(max(len(stock), len(other)))
    ]
    # an amount by its key; a rate as the quotient of two amounts (exact, as the tables')
    flows = [
        ("Doanh số cho vay", "disbursed"),
        ("Doanh số thu nợ gốc", "principal_repaid"),
        ("Nợ gốc xử lý xóa", "principal_written_off"),
        ("Nợ gốc đến hạn trong kỳ", "principal_due"),
        ("Thu được của nợ gốc đến hạn", "principal_collected_of_due"),
        ("Tỷ lệ thu nợ gốc đến hạn", ("principal_collected_of_due", "principal_due")),
        ("Lãi phải thu trong kỳ", "interest_billed"),
        ("Lãi thực thu", "interest_paid"),
        ("– Thu lãi phải thu trong kỳ", "interest_applied_current"),
        ("– Thu lãi tồn đọng", "interest_applied_arrears"),
        ("Tỷ lệ thu lãi", ("interest_applied_current", "interest_billed")),
        ("Lãi tồn đọng đầu kỳ", "interest_arrears_start"),
        ("Tỷ lệ thu hồi lãi tồn đọng", ("interest_applied_arrears", "interest_arrears_start")),
        ("Lãi tồn đọng cuối kỳ", "interest_arrears_end"),
    ]

    def written(period: dict, key) -> str:
        return million(period[key]) if isinstance(key, str) else ratio(_share(period[key[0]], period[key[1]]))

    return {
        "stock": pairs,
        "flows": [(label, written(quarter, key), written(year, key)) for label, key in flows],
        "year_from": _date(payload["year_to_date"]["start"]),
        "year_to": _date(payload["year_to_date"]["end"]),
    }


def _portfolio_cells(r: dict) -> list[str]:
    return [
        million(r["outstanding"]),
        million(r["change"]),
        million(r["overdue"]),
        ratio(_share(r["overdue"], r["outstanding"])),
        million(r["frozen"]),
        count(r["borrowers"]),
        count(r["groups"]),
        million(r["savings_balance"]),
        million(r["disbursed"]),
        million(r["principal_repaid"]),
    ]


PORTFOLIO_KEYS = ("outstanding", "change", "overdue", "frozen", "borrowers", "groups", "savings_balance")
FLOW_KEYS = ("disbursed", "principal_repaid")


def _portfolio_line(row: dict) -> dict:
    line = {k: row[k] for k in PORTFOLIO_KEYS if k != "change"}
    line["change"] = row["change_since_year_start"]
    line.update({k: row["period"][k] for k in FLOW_KEYS})
    return line


def _summed(lines: list[dict], keys) -> dict:
    return {k: sum(line[k] for line in lines) for k in keys}


def _units(payload: dict, meta: Meta) -> dict:
    """By association, the direct loans apart (the office's report), or by commune (an
    association's)."""
    report = payload["report"]
    po, quarter = report["portfolio"], report["period"]
    total = {
        **{k: po[k] for k in ("outstanding", "overdue", "frozen", "borrowers", "groups", "savings_balance")},
        "change": po["outstanding"] - po["outstanding_year_start"],
        **{k: quarter[k] for k in FLOW_KEYS},
    }
    rows = []
    if meta.association_code is None:
        lines = [_portfolio_line(r) for r in report["by_association"]]
        rows = [
            _row(r["name"], _portfolio_cells(line), no=i)
            for i, (r, line) in enumerate(zip(report["by_association"], lines, strict=True), 1)
        ]
        entrusted = _summed(lines, PORTFOLIO_KEYS + FLOW_KEYS)
        direct = {
            "outstanding": po["direct_outstanding"],
            "change": (po["outstanding"] - po["entrusted_outstanding"])
            - (po["outstanding_year_start"] - po["entrusted_outstanding_year_start"]),
            "overdue": po["overdue"] - po["entrusted_overdue"],
            "frozen": po["frozen"] - entrusted["frozen"],
            "borrowers": None,  # a borrower may hold both kinds: not a difference
            "groups": None,
            "savings_balance": None,
            **{k: quarter[k] - entrusted[k] for k in FLOW_KEYS},
        }
        rows.append(_row("Cộng ủy thác qua các tổ chức hội", _portfolio_cells(entrusted), "subtotal"))
        rows.append(_row("Cho vay trực tiếp", _portfolio_cells(direct), "direct"))
        title, head = "DƯ NỢ THEO TỔ CHỨC HỘI NHẬN ỦY THÁC", "Tổ chức hội"
    else:
        communes = report["by_commune"]
        rows = [_row(r["name"], _portfolio_cells(_portfolio_line(r)), no=i) for i, r in enumerate(communes, 1)]
        title, head = "DƯ NỢ THEO XÃ, THỊ TRẤN", "Xã, thị trấn"
    rows.append(_row("Tổng cộng", _portfolio_cells(total), "total"))
    return {"title": title, "head": head, "rows": rows}


COMMUNE_KEYS = (
    "disbursed_quarter",
    "disbursed_year",
    "repaid_quarter",
    "repaid_year",
    "written_off_quarter",
    "written_off_year",
    "outstanding",
    "current",
    "overdue",
    "frozen",
    "short_term",
    "medium_term",
    "long_term",
)


def _commune_cells(r: dict) -> list[str]:
    return [million(r[k]) for k in COMMUNE_KEYS] + [
        count(r["borrowers"]),
        ratio(_share(r["overdue"], r["outstanding"])),
    ]


def _by_commune(payload: dict) -> list[dict]:
    rows = [_row(r["name"], _commune_cells(r), no=i) for i, r in enumerate(payload["by_commune"], 1)]
    total = _summed(payload["by_commune"], COMMUNE_KEYS + ("borrowers",))
    rows.append(_row("Tổng cộng", _commune_cells(total), "total"))
    return rows


def _program_cells(r: dict, period: dict) -> list[str]:
    return [
        million(r["outstanding"]),
        million(r["overdue"]),
        ratio(_share(r["overdue"], r["outstanding"])),
        million(r["frozen"]),
        count(r["loans"]),
        count(r["borrowers"]),
        million(period["disbursed"]),
        million(period["principal_repaid"]),
    ]


def _by_program(payload: dict) -> list[dict]:
    report = payload["report"]
    rows = [_row(r["name"], _program_cells(r, r["period"]), no=r["code"]) for r in report["by_program"]]
    rows.append(_row("Tổng cộng", _program_cells(report["portfolio"], report["period"]), "total"))
    return rows


INTEREST_KEYS = (
    "interest_billed",
    "interest_paid",
    "interest_applied_current",
    "interest_arrears_start",
    "interest_applied_arrears",
    "interest_arrears_end",
)


def _interest_cells(p: dict) -> list[str]:
    return [
        million(p["interest_billed"]),
        million(p["interest_paid"]),
        million(p["interest_applied_current"]),
        ratio(_share(p["interest_applied_current"], p["interest_billed"])),
        million(p["interest_arrears_start"]),
        million(p["interest_applied_arrears"]),
        ratio(_share(p["interest_applied_arrears"], p["interest_arrears_start"])),
        million(p["interest_arrears_end"]),
    ]


def _interest(payload: dict, meta: Meta) -> dict:
    report = payload["report"]
    if meta.association_code is None:
        units = report["by_association"]
        rows = [_row(r["name"], _interest_cells(r["period"]), no=i) for i, r in enumerate(units, 1)]
        entrusted = _summed([r["period"] for r in units], INTEREST_KEYS)
        direct = {k: report["period"][k] - entrusted[k] for k in INTEREST_KEYS}
        rows.append(_row("Cộng ủy thác qua các tổ chức hội", _interest_cells(entrusted), "subtotal"))
        rows.append(_row("Cho vay trực tiếp", _interest_cells(direct), "direct"))
        head = "Tổ chức hội"
    else:
        rows = [_row(r["name"], _interest_cells(r["period"]), no=i) for i, r in enumerate(report["by_commune"], 1)]
        head = "Xã, thị trấn"
    rows.append(_row("Tổng cộng", _interest_cells(report["period"]), "total"))
    return {"head": head, "rows": rows}


def _scorecard(payload: dict) -> dict | None:
    card = payload["scorecard"]
    if not card or not card["units"]:
        return None
    first = card["units"][0]["results"]
    targets = []
    for t in card["targets"]:
        periods = [p["period"] for p in first.get(t["code"], {}).get("periods", [])]
        if t["every"] == "month":
            span = _span("tháng", [int(p[5:7]) for p in periods])
        else:
            span = _span("quý", [int(p[-1]) for p in periods])
        targets.append({"code": t["code"], "title": t["title"], "span": span})
    rows = []
    for unit in card["units"]:
        cells, met, judged = [], 0, 0
        for t in card["targets"]:
            result = unit["results"].get(t["code"], {"met": None, "periods": []})
            cells.append(_marks([p["met"] for p in result["periods"]]))
            if result["met"] is not None:
                judged += 1
                met += bool(result["met"])
        rows.append({"name": unit["name"], "level": unit["level"], "cells": cells, "result": f"{met}/{judged}"})
    return {"targets": targets, "rows": rows, "as_of": _date(card["as_of"])}


def _span(word: str, numbers: list[int]) -> str:
    """The periods a target's marks stand for: 'tháng 1–3', 'quý 1'."""
    if not numbers:
        return NONE
    return f"{word} {numbers[0]}" if len(numbers) == 1 else f"{word} {numbers[0]}–{numbers[-1]}"


MARKS = {True: ("yes", "Đ"), False: ("no", "K"), None: ("na", "–")}


def _marks(periods: list) -> list[dict]:
    """A target's marks in a unit's row, one a period ('ĐĐK'), the same marks in a row as
    one run (fewer boxes for WeasyPrint to lay out)."""
    runs = []
    for met in periods:
        kind, mark = MARKS[met]
        if runs and runs[-1]["met"] == kind:
            runs[-1]["mark"] += mark
        else:
            runs.append({"met": kind, "mark": mark})
    return runs


OVERDUE_AMOUNTS = ("outstanding", "overdue", "interest_arrears")


def _overdue(payload: dict) -> dict:
    loans = payload["overdue_loans"]
    shown = [
        {
            "no": i,
            "cells": [
                r["loan_no"],
                r["borrower"],
                r["national_id"],
                r["commune"],
                r["group"],
                r["association"] or "Trực tiếp",
                r["program"],
                _date(r["disbursed_on"]),
                _date(r["maturity"]),
            ],
            "amounts": [million(r[k]) for k in OVERDUE_AMOUNTS],
        }
        for i, r in enumerate(loans[:OVERDUE_ROWS], 1)
    ]
    rest = loans[OVERDUE_ROWS:]
    return {
        "rows": shown,
        "rest": len(rest),
        "rest_amounts": [million(sum(r[k] for r in rest)) for k in OVERDUE_AMOUNTS],
        "count": len(loans),
        "total": [million(sum(r[k] for r in loans)) for k in OVERDUE_AMOUNTS],
    }


def _grade_cells(grades: list[str]) -> list[str]:
    counted = Counter(grades)
    good = counted["Tốt"] + counted["Khá"]
    return [count(counted[g]) for g in GRADES] + [count(len(grades)), ratio(_share(good, len(grades)))]


def _grade_table(head: str, grades: list[dict], key: str, order: list[str], names: dict) -> dict:
    """Counts by grade of the groups by `key` (an association code, a commune name), in the
    report's order, then any other, then the total."""
    by: dict = {}
    for g in grades:
        by.setdefault(g[key], []).append(g["grade"])
    keys = [k for k in order if k in by] + sorted(k for k in by if k not in order)
    rows = [_row(names.get(k) or k or NONE, _grade_cells(by[k]), no=i) for i, k in enumerate(keys, 1)]
    rows.append(_row("Tổng cộng", _grade_cells([g["grade"] for g in grades]), "total"))
    return {"head": head, "rows": rows}


def _grades(payload: dict, meta: Meta) -> dict:
    """The group grades of the quarter's last month, counted: by association (the office's
    report) and by commune."""
    grades, report = payload["grades"], payload["report"]
    last = Period.parse(payload["quarter"]).months()[-1]
    tables = []
    if grades and meta.association_code is None:
        names = {r["code"]: r["name"] for r in report["by_association"]}
        tables.append(_grade_table("Tổ chức hội", grades, "association", list(names), names))
    if grades:
        tables.append(_grade_table("Xã, thị trấn", grades, "commune", [r["name"] for r in report["by_commune"]], {}))
    return {"month": f"{last.start.month:02d}/{last.start.year}", "tables": tables}


def _charts(payload: dict, meta: Meta) -> list:
    trends = payload["trends"]
    rebuilt = Trends(
        months=[Period.from_label(m) for m in trends["months"]],
        total=trends["total"],
        associations=[(a["code"], a["name"], a["points"]) for a in trends["associations"]],
    )
    return trend_charts(rebuilt, DISTRICT_NAME if meta.association_code is None else meta.association_name)


def context(payload: dict, meta: Meta) -> dict:
    quarter = Period.parse(payload["quarter"])
    issued_at = meta.issued_at
    if issued_at is not None and timezone.is_aware(issued_at):
        issued_at = timezone.localtime(issued_at)
    return {
        "meta": meta,
        "office": OFFICE,
        "provisional": PROVISIONAL,
        "issued_at": issued_at.strftime("%H:%M ngày %d/%m/%Y") if issued_at else "",
        "quarter_name": f"Quý {meta.quarter_number}/{meta.year}",
        "year": str(meta.year),  # not through the template's number format (2.020)
        "start": _date(payload["start"]),
        "end": _date(payload["end"]),
        "as_of": _date(payload["as_of"]),
        "closed": payload["as_of"] >= quarter.end.isoformat(),
        "office_version": meta.association_code is None,
        "summary": _summary(payload, meta),
        "units": _units(payload, meta),
        "by_commune": _by_commune(payload),
        "by_program": _by_program(payload),
        "interest": _interest(payload, meta),
        "scorecard": _scorecard(payload),
        "overdue": _overdue(payload),
        "grades": _grades(payload, meta),
        "charts": _charts(payload, meta),
    }


def render_html(payload: dict, meta: Meta) -> str:
    return render_to_string(TEMPLATE, context(payload, meta))


def render_pdf(payload: dict, meta: Meta) -> bytes:
    """The quarterly report's PDF, from its figures and heading facts."""
    return pdf_render(render_html(payload, meta))
