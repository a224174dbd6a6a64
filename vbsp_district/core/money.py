"""Whole đồng arithmetic: one rounding helper (half up) and the Vietnamese formats."""

from datetime import date
from fractions import Fraction


def round_half_up(value: Fraction | int) -> int:
    """Round an exact amount to whole đồng, halves away from zero for positives."""
    value = Fraction(value)
    if value >= 0:
        return int((value + Fraction(1, 2)) // 1)
    return -int((-value + Fraction(1, 2)) // 1)


def posting_cap() -> int:
    """The largest amount one posting may carry (`VBSP_MAX_POSTING_AMOUNT`): a typo guard."""
    from django.conf import settings

    return settings.VBSP_MAX_POSTING_AMOUNT


def over_cap_message(cap: int) -> str:
    return f"Số tiền vượt mức tối đa của một giao dịch ({vnd(cap)} đồng); kiểm tra lại số chữ số 0."


def vnd(amount: int | None) -> str:
    """1234567 -> '1.234.567' (the way the bank writes amounts)."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(int(amount)):,}".replace(",", ".")


def vn_date(value: date | None) -> str:
    """date(2020, 1, 20) -> '20/01/2020'."""
    return value.strftime("%d/%m/%Y") if value else ""


def percent(ratio: float | None, digits: int = 2) -> str:
    """0.0011 -> '0,11 %'; None -> '—'."""
    if ratio is None:
        return "—"
    return f"{ratio * 100:.{digits}f}".replace(".", ",") + " %"
