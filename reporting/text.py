"""The district report as a readable Vietnamese text table (district_report --format text)."""

from datetime import date

from vbsp_district.core.money import percent, vn_date, vnd

from .periods import Period

PORTFOLIO_LINES = [
    ("outstanding", "Tổng dư nợ"),
    ("entrusted_outstanding", "  Dư nợ ủy thác qua tổ chức hội"),
    ("direct_outstanding", "  Dư nợ cho vay trực tiếp"),
    ("entrusted_share", "Tỷ trọng dư nợ ủy thác"),
    ("outstanding_year_start", "Tổng dư nợ đầu năm"),
    ("entrusted_outstanding_year_start", "Dư nợ ủy thác đầu năm"),
    ("entrusted_change_since_year_start", "Dư nợ ủy thác tăng/giảm so với đầu năm"),
    ("overdue", "Nợ quá hạn"),
    ("overdue_ratio", "Tỷ lệ nợ quá hạn"),
    ("entrusted_overdue", "Nợ quá hạn ủy thác"),
    ("entrusted_overdue_ratio", "Tỷ lệ nợ quá hạn ủy thác"),
    ("frozen", "Nợ khoanh"),
    ("interest_arrears", "Lãi tồn đọng"),
    ("loans", "Số món vay còn dư nợ"),
    ("borrowers", "Số hộ còn dư nợ"),
    ("groups", "Số tổ TK&VV"),
    ("savings_balance", "Số dư tiền gửi tiết kiệm qua tổ"),
    ("groups_with_savings", "Số tổ có tiền gửi tiết kiệm"),
]

PERIOD_LINES = [
    ("disbursed", "Doanh số cho vay"),
    ("principal_repaid", "Doanh số thu nợ gốc"),
    ("principal_written_off", "Nợ gốc được xóa"),
    ("principal_due", "Nợ gốc đến hạn trong kỳ"),
    ("principal_collected_of_due", "  trong đó đã thu"),
    ("principal_collection_rate", "Tỷ lệ thu nợ gốc đến hạn"),
    ("interest_billed", "Lãi phải thu trong kỳ"),
    ("interest_paid", "Lãi thực thu trong kỳ"),
    ("interest_applied_current", "  trong đó thu lãi trong kỳ"),
    ("interest_collection_rate", "Tỷ lệ thu lãi"),
    ("interest_arrears_start", "Lãi tồn đọng đầu kỳ"),
    ("interest_applied_arrears", "  trong đó đã thu"),
    ("arrears_recovery_rate", "Tỷ lệ thu lãi tồn đọng"),
    ("interest_arrears_end", "Lãi tồn đọng cuối kỳ"),
]

ORGANIZATION_COLUMNS = [
    ("outstanding", "Dư nợ"),
    ("change_since_year_start", "+/- đầu năm"),
    ("overdue", "Nợ quá hạn"),
    ("overdue_ratio", "Tỷ lệ NQH"),
    ("frozen", "Nợ khoanh"),
    ("interest_arrears", "Lãi tồn"),
    ("loans", "Món"),
    ("borrowers", "Hộ"),
    ("groups", "Tổ"),
    ("savings_balance", "Tiết kiệm"),
    ("groups_with_savings", "Tổ có TK"),
]

PROGRAM_COLUMNS = [
    ("outstanding", "Dư nợ"),
    ("overdue", "Nợ quá hạn"),
    ("frozen", "Nợ khoanh"),
    ("loans", "Món"),
    ("borrowers", "Hộ"),
]

GROUP_COLUMNS = [
    ("commune_code", "Xã"),
    ("association_code", "Hội"),
    ("outstanding", "Dư nợ"),
    ("overdue", "Nợ quá hạn"),
    ("members", "Tổ viên"),
    ("borrowers", "Hộ vay"),
    ("savings_balance", "Tiết kiệm"),
]

PERIOD_COLUMNS = [
    ("disbursed", "Cho vay"),
    ("principal_repaid", "Thu nợ"),
    ("principal_due", "Gốc đến hạn"),
    ("principal_collected_of_due", "Đã thu"),
    ("principal_collection_rate", "Tỷ lệ"),
    ("interest_billed", "Lãi phải thu"),
    ("interest_applied_current", "Thu trong kỳ"),
    ("interest_collection_rate", "Tỷ lệ"),
    ("interest_arrears_start", "Lãi tồn đầu kỳ"),
    ("interest_applied_arrears", "Đã thu"),
    ("arrears_recovery_rate", "Tỷ lệ"),
]


def _cell(key: str, value) -> str:
    if key.endswith(("_ratio", "_rate", "_share")):
        return percent(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return vnd(value)
    return "" if value is None else str(value)


def _table(title_label: str, rows: list[dict], columns, label_key: str = "code", name_key=None) -> list[str]:
    header = [title_label] + [label for _, label in columns]
    body = []
    for row in rows:
        label = row[label_key] + (f" {row[name_key]}" if name_key else "")
        body.append([label] + [_cell(key, row[key]) for key, _ in columns])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)).rstrip()

    rule = "-" * len(line(header))
    return [line(header), rule, *(line(r) for r in body)]


def _lines(figures: dict, labels) -> list[str]:
    width = max(len(label) for _, label in labels)
    return [f"  {label.ljust(width)}  {_cell(key, figures[key]).rjust(20)}" for key, label in labels]


def render_text(report: dict) -> str:
    """The report object as text: amounts 1.234.567 đồng, ratios 1,23 %, '—' when undefined."""
    out = [
        "BÁO CÁO TÌNH HÌNH CHO VAY - PHÒNG GIAO DỊCH NHCSXH HUYỆN",
        f"Số liệu đến hết ngày {vn_date(date.fromisoformat(report['as_of']))} (đơn vị: đồng)",
    ]
    period = report.get("period")
    if period:
        start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
        title = Period.parse(period["label"]).title
        out.append(f"Kỳ báo cáo: {title} (từ {vn_date(start)} đến {vn_date(end)})")
    out += ["", "I. TOÀN HUYỆN", *_lines(report["portfolio"], PORTFOLIO_LINES)]
    if period:
        out += ["", "   Kết quả trong kỳ", *_lines(period, PERIOD_LINES)]
    out += ["", "II. THEO TỔ CHỨC HỘI NHẬN ỦY THÁC"]
    out += _table("Hội", report["by_association"], ORGANIZATION_COLUMNS, name_key="name")
    out += ["", "III. THEO XÃ, THỊ TRẤN"]
    columns = ORGANIZATION_COLUMNS[:1] + [("entrusted_outstanding", "Ủy thác")] + ORGANIZATION_COLUMNS[1:]
    out += _table("Xã", report["by_commune"], columns, name_key="name")
    out += ["", "IV. THEO CHƯƠNG TRÌNH CHO VAY"]
    out += _table("Chương trình", report["by_program"], PROGRAM_COLUMNS, name_key="name")
    if "by_group" in report:
        out += ["", "V. THEO TỔ TK&VV"]
        out += _table("Tổ", report["by_group"], GROUP_COLUMNS)
    if period:
        for title, key in (("hội", "by_association"), ("xã", "by_commune"), ("chương trình", "by_program")):
            rows = [{"code": r["code"], **r["period"]} for r in report[key]]
            out += ["", f"Kết quả trong kỳ theo {title}"]
            out += _table(title.capitalize(), rows, PERIOD_COLUMNS)
    return "\n".join(out) + "\n"
