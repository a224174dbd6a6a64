"""The quarterly report's figures: one JSON-ready object that the Excel workbook and the
PDF both write, and whose hash an issued report keeps.

Everything in it is a figure of DESIGN §4 or of the scorecard, in whole đồng or as the
report's 6-decimal ratios, read as `district_report` and `scorecard` read them (the same
scope: the office, or one association's entrusted loans and groups). Nothing in it
depends on when it is made: the same book gives the same object, byte for byte once
written as canonical JSON (`canonical`), so its SHA-256 names the figures.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Max
from django.utils import timezone

from dashboards.figures import TREND_MONTHS, Moment
from emulation.models import GroupGrade
from emulation.scorecard import scorecard, seen_by, targets_of
from groups.models import Association, Commune, SavingsGroup
from lending.models import Installment, Loan
from reporting.indicators import district_figures, loan_figures, monthly_series
from reporting.periods import Period
from reporting.sql import Scope
from vbsp_district.core.months import month_add

SHORT_MONTHS, LONG_MONTHS = 12, 60  # the sector's terms: short ≤ 12 months, long > 60


@dataclass(frozen=True)
class Version:
    """Whose report: the office's (association None) or one association's."""

    quarter: Period
    association: Association | None = None

    @property
    def scope(self) -> dict:
        return {} if self.association is None else {"association_id": self.association.pk}

    @property
    def unit_code(self) -> str:
        return "district" if self.association is None else self.association.code

    @property
    def as_of(self) -> date:
        """The quarter's last day, or today for the quarter under way."""
        return min(self.quarter.end, timezone.localdate())

    @property
    def period(self) -> Period:
        return self.quarter.so_far(self.as_of)


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def figures_hash(payload: dict) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def _term(months: int) -> str:
    if months <= SHORT_MONTHS:
        return "short"
    return "medium" if months <= LONG_MONTHS else "long"


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + (1 if end.day > start.day else 0)


def _loans(version: Version) -> tuple[dict, dict]:
    """Per loan at the report's date (the version's loans only), and each loan's term."""
    scope = None if version.association is None else Scope.within(version.association.pk)
    figures = {
        pk: f
        for pk, f in loan_figures(version.as_of, version.period, scope=scope).items()
        if version.association is None or f["association_id"] == version.association.pk
    }
    last_due = dict(
        Installment.objects.filter(loan_id__in=[pk for pk, f in figures.items() if f["outstanding"] > 0])
        .values("loan_id")
        .annotate(last=Max("due_on"))
        .values_list("loan_id", "last")
        .order_by()
    )
    loans = Loan.objects.filter(pk__in=last_due).only("disbursed_on").in_bulk()
    terms = {pk: _term(_months_between(loans[pk].disbursed_on, last)) for pk, last in last_due.items()}
    return figures, terms


def _by_commune(version: Version, report: dict, year: dict, loans: dict, terms: dict) -> list[dict]:
    """The sector's credit report by commune: lending and collections in the quarter and the
    year so far, write-offs, the outstanding split current / overdue / frozen and by term,
    borrowers with debt."""
    split: dict = defaultdict(lambda: {"short": 0, "medium": 0, "long": 0})
    commune_of = {c.pk: c.code for c in Commune.objects.all()}
    for pk, f in loans.items():
        if f["outstanding"] > 0 and pk in terms:
            split[commune_of.get(f["commune_id"])][terms[pk]] += f["outstanding"]
    ytd = {row["code"]: row["period"] for row in year["by_commune"]}
    rows = []
    for row in report["by_commune"]:
        quarter, so_far = row["period"], ytd.get(row["code"], {})
        terms_of = split[row["code"]]
        rows.append(
            {
                "code": row["code"],
                "name": row["name"],
                "disbursed_quarter": quarter["disbursed"],
                "disbursed_year": so_far.get("disbursed", 0),
                "repaid_quarter": quarter["principal_repaid"],
                "repaid_year": so_far.get("principal_repaid", 0),
                "written_off_quarter": quarter["principal_written_off"],
                "written_off_year": so_far.get("principal_written_off", 0),
                "outstanding": row["outstanding"],
                "current": row["outstanding"] - row["overdue"] - row["frozen"],
                "overdue": row["overdue"],
                "frozen": row["frozen"],
                "short_term": terms_of["short"],
                "medium_term": terms_of["medium"],
                "long_term": terms_of["long"],
                "borrowers": row["borrowers"],
                "overdue_ratio": row["overdue_ratio"],
            }
        )
    return rows


def _overdue_loans(version: Version, loans: dict) -> list[dict]:
    overdue = {pk: f for pk, f in loans.items() if f["overdue"] > 0}
    found = Loan.objects.filter(pk__in=overdue).select_related("member", "program").in_bulk()
    groups = SavingsGroup.objects.in_bulk({f["group_id"] for f in overdue.values() if f["group_id"]})
    communes = Commune.objects.in_bulk()
    associations = Association.objects.in_bulk()
    rows = []
    for pk, f in overdue.items():
        loan = found[pk]
        group = groups.get(f["group_id"])
        rows.append(
            {
                "loan_no": loan.loan_no,
                "borrower": loan.member.full_name,
                "national_id": loan.member.national_id,
                "commune": communes[f["commune_id"]].name if f["commune_id"] in communes else "",
                "group": group.code if group else "",
                "association": associations[f["association_id"]].code if f["association_id"] else "",
                "program": loan.program.code,
                "disbursed_on": loan.disbursed_on.isoformat(),
                "maturity": f["maturity"].isoformat() if f["maturity"] else None,
                "outstanding": f["outstanding"],
                "overdue": f["overdue"],
                "interest_arrears": max(f["interest_balance"], 0),
            }
        )
    return sorted(rows, key=lambda r: (r["commune"], r["group"], r["loan_no"]))


def _grades(version: Version) -> list[dict]:
    """The group grades of the quarter's last month (the version's groups)."""
    month = version.quarter.months()[-1] if version.as_of >= version.quarter.end else None
    if month is None:
        return []
    grades = GroupGrade.objects.filter(month=month.label).select_related("group__commune")
    if version.association is not None:
        grades = grades.filter(association_id=version.association.pk)
    associations = Association.objects.in_bulk()
    rows = [
        {
            "group": g.group.code,
            "name": g.group.name,
            "commune": g.group.commune.name,
            "association": associations[g.association_id].code if g.association_id in associations else "",
            "criteria": {c["code"]: c["points"] for c in g.criteria},
            "points": g.points,
            "grade": g.grade,
        }
        for g in grades
    ]
    return sorted(rows, key=lambda r: (r["commune"], r["group"]))


class _Scope:
    """A reading role's scope as the scorecard's `seen_by` asks it (an officer's, or the office's)."""

    def __init__(self, association_id):
        self.sees_everything = association_id is None
        self.association_id = association_id
        self.commune_id = None


def _scorecard(version: Version) -> dict | None:
    year = version.quarter.start.year
    if not targets_of(year):
        return None
    visible = seen_by(_Scope(None if version.association is None else version.association.pk))
    return scorecard(year, min(version.quarter.end, timezone.localdate()), only=visible)


def _trends(version: Version) -> dict:
    """The 24 months to the report's date, month by month, as the dashboards chart them (the
    office's also by association)."""
    y, m = version.as_of.year, version.as_of.month
    months = [Period.month(*month_add(y, m, k - TREND_MONTHS + 1)) for k in range(TREND_MONTHS)]
    series = monthly_series(months, "association", today=version.as_of, **version.scope)
    keep = ("outstanding", "overdue_ratio", "interest_collection_rate", "savings_balance")
    return {
        "months": [p.label for p in months],
        "total": [{k: p[k] for k in keep} for p in series["total"]],
        "associations": [
            {"code": row["code"], "name": row["name"], "points": [{k: p[k] for k in keep} for p in row["points"]]}
            for row in series["series"]
        ]
        if version.association is None
        else [],
    }


def build(version: Version) -> dict:
    """The report's figures (JSON-ready)."""
    report = district_figures(version.as_of, version.period, by_group=True, **version.scope)
    year = Moment.at(version.as_of).year
    year_report = district_figures(version.as_of, year, **version.scope)
    loans, terms = _loans(version)
    return {
        "quarter": version.quarter.label,
        "start": version.quarter.start.isoformat(),
        "end": version.quarter.end.isoformat(),
        "as_of": version.as_of.isoformat(),
        "association": None if version.association is None else version.association.code,
        "report": report,
        "year_to_date": {
            "start": year.start.isoformat(),
            "end": year.end.isoformat(),
            "portfolio_period": year_report["period"],
            "by_association": [{"code": r["code"], "period": r["period"]} for r in year_report["by_association"]],
        },
        "by_commune": _by_commune(version, report, year_report, loans, terms),
        "overdue_loans": _overdue_loans(version, loans),
        "scorecard": _scorecard(version),
        "grades": _grades(version),
        "trends": _trends(version),
    }


# -- what the workbook and the PDF say about the report itself ------------------------------------
OFFICE = ("NGÂN HÀNG CHÍNH SÁCH XÃ HỘI", "CHI NHÁNH TỈNH QUẢNG BÌNH", "PHÒNG GIAO DỊCH HUYỆN QUẢNG NINH")
PLACE = "Quảng Ninh"
PROVISIONAL = "Số liệu tạm tính"


@dataclass(frozen=True)
class Meta:
    """The report's heading facts: whose it is, whether provisional, and, once issued, when,
    by whom and the hash of its figures."""

    quarter: Period
    association_code: str | None  # None: the office's report
    association_name: str | None
    provisional: bool  # the quarter is not closed: "Số liệu tạm tính" on every page and sheet
    made_on: date  # the date line ("Quảng Ninh, ngày 05 tháng 4 năm 2020"): issue date or today
    issued_at: object = None  # datetime of issue, for a closed quarter's report
    issued_by: str | None = None
    sha256: str | None = None

    @property
    def quarter_number(self) -> int:
        return (self.quarter.start.month - 1) // 3 + 1

    @property
    def year(self) -> int:
        return self.quarter.start.year

    @property
    def title(self) -> str:
        whose = "" if self.association_code is None else f" – {self.association_name}"
        return f"BÁO CÁO KẾT QUẢ CHO VAY ỦY THÁC QUÝ {self.quarter_number}/{self.year}{whose}"

    @property
    def date_line(self) -> str:
        d = self.made_on
        return f"{PLACE}, ngày {d.day:02d} tháng {d.month} năm {d.year}"
