"""The scorecard as a readable Vietnamese table (`scorecard --format text`)."""

from datetime import date

from vbsp_district.core.money import percent, vn_date

from .scorecard import COMMUNE_ASSOCIATION

MARKS = {True: "Đ", False: "K", None: "–"}
VERDICTS = {True: "Đạt", False: "Không đạt", None: "Chưa đánh giá"}


COUNTED = {"T9"}  # targets whose value is a number of items, not a share


def shown(target, unit, value) -> str:
    """A cell's value as the page shows it: a share in per cent, a count as it is."""
    if value is None:
        return "—"
    if target.code in COUNTED or (target.code == "T10" and unit.level == COMMUNE_ASSOCIATION):
        return str(value)
    return percent(value, 2)


def _value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value * 100:.2f} %".replace(".", ",")
    return str(value)


def render_text(card: dict) -> str:
    as_of = date.fromisoformat(card["as_of"])
    lines = [
        f"CHỈ TIÊU THI ĐUA NĂM {card['year']} – số liệu đến hết ngày {vn_date(as_of)}",
        "Đ: đạt · K: không đạt · –: không áp dụng. Chỉ tiêu hằng quý ghi ở tháng cuối quý.",
        "",
        "Chỉ tiêu:",
    ]
    lines += [f"  {t['code']:<4} {t['title']}" for t in card["targets"]]
    header = f"  {'':<4} {'Kết quả':<13}" + " ".join(f"{m:02d}" for m in range(1, 13)) + "   kỳ cuối"
    for unit in card["units"]:
        name = unit["name"] if unit["level"] != COMMUNE_ASSOCIATION else f"{unit['code']} {unit['name']}"
        lines += ["", name, header]
        for target in card["targets"]:
            result = unit["results"][target["code"]]
            cells = ["  "] * 12
            last = None
            for entry in result["periods"]:
                period = entry["period"]
                month = int(period[5:7]) if target["every"] == "month" else 3 * int(period[-1])
                cells[month - 1] = f"{MARKS[entry['met']]} "
                if entry["met"] is not None:
                    last = entry
            tail = ""
            if last is not None:
                tail = f"   {_value(last['value'])}"
                if "arrears_recovery" in last:
                    tail += f" (thu lãi tồn đọng {_value(last['arrears_recovery'])})"
            lines.append(f"  {target['code']:<4} {VERDICTS[result['met']]:<13}" + " ".join(cells) + tail)
    return "\n".join(lines) + "\n"
