"""The scorecard's figure-based targets checked against `district_report` (T1, T2, T3, T8),
for the district and each association: the same unit and period must give the same value."""

from datetime import date

from emulation.scorecard import scorecard
from reporting.indicators import district_figures, ratio
from reporting.periods import Period

PERIOD_SUMS = (
    "principal_due",
    "principal_collected_of_due",
    "interest_billed",
    "interest_applied_current",
    "interest_arrears_start",
    "interest_applied_arrears",
)


def _unit_sums(report: dict, code: str | None) -> dict:
    """The entrusted figures of a unit from the report's `by_association` rows."""
    rows = [r for r in report["by_association"] if code is None or r["code"] == code]
    sums = {k: sum(r[k] for r in rows) for k in ("outstanding", "overdue", "groups", "groups_with_savings")}
    sums |= {k: sum(r["period"][k] for r in rows) for k in PERIOD_SUMS}
    return sums


def expected_values(report: dict, code: str | None) -> dict:
    """{target: value} (and T8's recovery) of the unit as the report's figures give them."""
    f = _unit_sums(report, code)
    return {
        "T1": ratio(f["groups_with_savings"], f["groups"]),
        "T2": ratio(f["overdue"], f["outstanding"]),
        "T3": ratio(f["principal_collected_of_due"], f["principal_due"]),
        "T8": ratio(f["interest_applied_current"], f["interest_billed"]),
        "T8 recovery": ratio(f["interest_applied_arrears"], f["interest_arrears_start"]),
    }


def assert_scorecard_agrees_with_district_report(year: int, as_of: date) -> int:
    """Compare every period of T1, T2, T3 and T8 for the district and the associations;
    return how many values were compared."""
    card = scorecard(year, as_of)
    reports: dict = {}
    compared = 0
    for unit in card["units"]:
        if unit["level"] not in ("district", "association"):
            continue
        for code in ("T1", "T2", "T3", "T8"):
            for entry in unit["results"][code]["periods"]:
                label = entry["period"]
                if label not in reports:
                    period = Period.parse(label)
                    reports[label] = district_figures(as_of=period.end, period=period)
                expected = expected_values(reports[label], unit["code"])
                assert entry["value"] == expected[code], (unit["code"], code, label, entry, expected[code])
                if code == "T8":
                    assert entry["arrears_recovery"] == expected["T8 recovery"], (unit["code"], label)
                compared += 1
    return compared
