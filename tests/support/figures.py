"""The reporting figures of one loan or the district, and a row of a breakdown by code."""

from reporting.indicators import district_figures, loan_figures


def figures_of(loan, as_of, period=None) -> dict:
    """The SQL per-loan figures of one loan."""
    return loan_figures(as_of, period, [loan.pk])[loan.pk]


def portfolio(as_of, period=None) -> dict:
    return district_figures(as_of, period)["portfolio"]


def row(rows: list[dict], code: str) -> dict:
    return next(r for r in rows if r["code"] == code)
