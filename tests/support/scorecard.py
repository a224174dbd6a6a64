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


ASSOCIATION_ORDER = ["HND", "HPN", "CCB", "DTN"]


def check_contract(card: dict, year: int, as_of: date) -> None:
    """The object of formats/scorecard.md: its keys, the units in their order, every
    target's key in every unit, the ended periods in order, and the verdicts."""
    assert list(card) == ["year", "as_of", "targets", "units"]
    assert (card["year"], card["as_of"]) == (year, as_of.isoformat())
    codes = [t["code"] for t in card["targets"]]
    for t in card["targets"]:
        assert {"code", "title", "every", "threshold"} <= set(t) and t["every"] in ("month", "quarter")
    levels = [u["level"] for u in card["units"]]
    assert levels[:5] == ["district"] + ["association"] * 4
    assert set(levels[5:]) <= {"commune_association"}
    assert [u["code"] for u in card["units"][1:5]] == ASSOCIATION_ORDER
    communes = [u for u in card["units"] if u["level"] == "commune_association"]
    order = [(u["commune"], ASSOCIATION_ORDER.index(u["association"])) for u in communes]
    assert order == sorted(order)
    for u in communes:
        assert u["code"] == f"{u['commune']}-{u['association']}"
        assert list(u) == ["level", "code", "commune", "association", "name", "results"]
    months = [f"{year}-{m:02d}" for m in range(1, 13) if Period.month(year, m).end <= as_of]
    quarters = [f"{year}Q{q}" for q in range(1, 5) if Period.quarter(year, q).end <= as_of]
    for unit in card["units"]:
        assert list(unit["results"]) == codes
        for t in card["targets"]:
            result = unit["results"][t["code"]]
            periods = result["periods"]
            assert [p["period"] for p in periods] == (months if t["every"] == "month" else quarters)
            for p in periods:
                assert p["met"] in (True, False, None)
                assert p["met"] is not None or p["value"] is None
                assert ("arrears_recovery" in p) == (t["code"] == "T8")
            verdicts = [p["met"] for p in periods if p["met"] is not None]
            assert result["met"] == (all(verdicts) if verdicts else None)
            if t["code"] == "T9" and unit["level"] == "commune_association":
                assert result["met"] is None


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
    check_contract(card, year, as_of)
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
