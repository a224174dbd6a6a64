"""The Quảng Ninh demo district, generated deterministically and calibrated to the article.

`demo_batches(scale, seed)` yields the records of the district as batches for
`portfolio_write` (the same validated path as the workbook import): the communes with the
trainings and news items first, then each commune's groups, members, loans, ledgers,
savings and meetings, whole on their own. Only the loans' plans are held for the whole
district; each commune's ledger rows are made when its batch is asked for, so that a
district ten times the size loads in a few GB. Borrowers behave
like a real portfolio (most pay on the due date, some late, a few default, some debt is
extended, frozen or written off); then a handful of loans per pool are resized so that
the figures at 31/12/2019 are the ones the office reported (DESIGN §4 definitions):
entrusted outstanding per association, the direct remainder (entrusted share 99.33 %),
the outstanding at the start of 2019 (change +16,961 million) and the overdue debt
(348.51 million).
"""

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from lending.engine import LoanBook, LoanFacts, billing_day
from lending.services.batch import Row
from vbsp_district.core.months import add_months, month_add

from .district import COMMUNES

START = date(2015, 1, 1)
END = date(2020, 12, 31)
YEAR_START = date(2018, 12, 31)
REPORT_DAY = date(2019, 12, 31)
DAY = timedelta(days=1)

# The article's figures at 31/12/2019, in đồng. Each association rounds to the reported
# million; their exact sum rounds to the reported total 326,326 million.
ASSOCIATION_TARGETS = {
    "HND": 132_702_450_000,
    "HPN": 145_509_450_000,
    "CCB": 23_046_450_000,
    "DTN": 25_067_400_000,
}
GROUPS_PER_ASSOCIATION = {"HND": 85, "HPN": 93, "CCB": 15, "DTN": 17}
CHANGE_SINCE_YEAR_START = 16_961_000_000
OVERDUE_TARGET = 348_510_000
DIRECT_TARGET = 2_200_000_000  # 326,325.75 / 328,525.75 = 99.33 % entrusted
TRAINEES_2019 = 602

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Phan",
    "Trương",
    "Mai",
]
MALE_MIDDLE = ["Văn", "Đức", "Hữu", "Minh", "Quang", "Xuân", "Đình", "Công"]
FEMALE_MIDDLE = ["Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim"]
MALE_GIVEN = [
    "Hùng",
    "Dũng",
    "Tuấn",
    "Nam",
    "Bình",
    "Hải",
    "Long",
    "Sơn",
    "Phúc",
    "Quang",
    "Thắng",
    "Việt",
    "Vinh",
    "Lực",
    "Toàn",
    "Cường",
    "Hòa",
    "Tâm",
]
FEMALE_GIVEN = [
    "Lan",
    "Hoa",
    "Mai",
    "Hương",
    "Hà",
    "Thủy",
    "Hạnh",
    "Nga",
    "Cúc",
    "Đào",
    "Hiền",
    "Liên",
    "Nhung",
    "Oanh",
    "Thảo",
    "Yến",
    "Loan",
    "Tuyết",
]
CATEGORIES = ["Hộ nghèo", "Hộ cận nghèo", "Hộ mới thoát nghèo", "Hộ SXKD vùng khó khăn", "Hộ gia đình"]

# program code: (weight, amounts in millions, term months, interval months, household category)
PROGRAMS = {
    "01": (30, (30, 35, 40, 45, 50), (48, 60), 12, "Hộ nghèo"),
    "19": (20, (30, 40, 50), (48, 60), 12, "Hộ cận nghèo"),
    "09": (12, (30, 40, 50), (36, 48), 12, "Hộ mới thoát nghèo"),
    "06": (12, (10, 15, 20), (36, 60), 6, None),
    "10": (12, (40, 50, 60, 80), (36, 60), 12, "Hộ SXKD vùng khó khăn"),
    "03": (8, (30, 40, 50), (36, 48), 12, None),
    "07": (4, (25,), (120,), 12, "Hộ nghèo"),
    "02": (2, (8,), (72,), 6, None),
}


@dataclass
class Plan:
    """One loan as the generator first plans it: amounts, schedule and behaviour."""

    loan_no: str
    nid: str
    program: str
    channel: str
    disbursed_on: date
    tranches: list  # [(date, amount)], the first is the Loans row
    schedule: list  # [(due date, principal)]
    behaviour: str  # good, early, late, default
    transaction_day: int
    rate: Fraction
    pool: str = ""  # calibration pool ("", "direct", "overdue", "year", association code)
    extension: tuple | None = None  # (contract due, new due, decided on)
    freeze: tuple | None = None  # (effective on, ends on or None)
    write_off_on: date | None = None
    principal: list = field(default_factory=list)  # [(date, kind, amount)]

    @property
    def amount(self) -> int:
        return sum(a for _, a in self.tranches)


def _schedule(total: int, dues: list[date]) -> list[tuple[date, int]]:
    """Equal installments in hundreds of thousands of đồng; the last takes the rest."""
    share = total // len(dues) // 100_000 * 100_000
    return [(d, share) for d in dues[:-1]] + [(dues[-1], total - share * (len(dues) - 1))]


class Generator:
    def __init__(self, scale: int, seed: int):
        self.scale = scale
        self.rnd = random.Random(seed)
        # the rows made so far, by commune (None: the district's own: communes, trainings,
        # news items), then by sheet
        self.rows: dict[str | None, dict[str, list[Row]]] = defaultdict(dict)
        self.commune_days = {code: day for code, _n, _k, day in COMMUNES}
        self.ids: set[str] = set()
        self.plans: list[Plan] = []
        self.member_groups: dict[str, list] = {}  # nid -> [[joined, left, group code]]
        self.member_commune: dict[str, str] = {}
        self.group_assoc: dict[str, list] = {}  # code -> [(from date, association)]
        self.group_commune: dict[str, str] = {}
        self.loan_seq = 0
        self.deposits: dict[str, tuple[int, dict]] = {}  # nid -> (monthly, {(y, m): withdrawal})
        from lending.models import ProgramRate

        self.rates = {r.program.code: Fraction(r.annual_rate) for r in ProgramRate.objects.select_related("program")}

    def add(self, sheet: str, **data):
        rows = self.rows[self.commune_of(sheet, data)].setdefault(sheet, [])
        rows.append(Row(sheet, len(rows) + 2, data))

    def commune_of(self, sheet: str, data: dict) -> str | None:
        """The batch a row goes to: the district's, or the commune of its group or member
        (a group's members and a member's loans never leave their commune)."""
        if sheet in ("Communes", "Trainings", "NewsItems"):
            return None
        if "commune_code" in data:  # groups, members
            return data["commune_code"]
        if "group_code" in data:  # transfers, memberships, meetings
            return self.group_commune[data["group_code"]]
        if "national_id" in data:  # loans, savings
            return self.member_commune[data["national_id"]]
        return self.loan_commune[data["loan_no"]]

    # -- people -------------------------------------------------------------------
    def national_id(self, female: bool, birth_year: int) -> str:
        while True:
            century = (0 if birth_year < 2000 else 2) + (1 if female else 0)
            nid = f"044{century}{birth_year % 100:02d}{self.rnd.randrange(10**6):06d}"
            if nid not in self.ids:
                self.ids.add(nid)
                return nid

    def person(self):
        female = self.rnd.random() < 0.62
        birth_year = self.rnd.randint(1955, 1995)
        middle = self.rnd.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
        given = self.rnd.choice(FEMALE_GIVEN if female else MALE_GIVEN)
        name = f"{self.rnd.choice(FAMILY)} {middle} {given}"
        return self.national_id(female, birth_year), name, "nu" if female else "nam", birth_year

    # -- the organization -------------------------------------------------------------
    def organization(self):
        for code, name, kind, day in COMMUNES:
            self.add("Communes", code=code, name=name, kind=kind, transaction_day=day)
        associations = [a for a, n in GROUPS_PER_ASSOCIATION.items() for _ in range(n * self.scale)]
        self.rnd.shuffle(associations)
        per_commune: dict[str, int] = {}
        for i, association in enumerate(associations):
            commune = COMMUNES[i % len(COMMUNES)][0]
            per_commune[commune] = per_commune.get(commune, 0) + 1
            n = per_commune[commune]
            self.group(
                f"{commune}-T{n:03d}",
                commune,
                association,
                n,
                date(self.rnd.randint(2003, 2014), self.rnd.randint(1, 12), 1),
            )
        # a group dissolved in 2018 (its members moved to a neighbour) and one founded in 2020
        self.group("QN03-T900", "QN03", "HPN", 900, date(2008, 5, 1), dissolved_on=date(2018, 6, 30))
        self.group("QN09-T901", "QN09", "DTN", 901, date(2020, 3, 1))
        # a group handed from the Youth Union to the Farmers' Association in mid-2020
        transferred = next(c for c, h in self.group_assoc.items() if h[0][1] == "DTN")
        self.add("GroupTransfers", group_code=transferred, effective_on=date(2020, 7, 1), association_code="HND")
        self.group_assoc[transferred].append((date(2020, 7, 1), "HND"))

    def group(self, code, commune, association, n, founded_on, dissolved_on=None):
        village = f"Thôn {1 + n % 9}"
        _nid, leader, _g, _y = self.person()
        self.add(
            "Groups",
            code=code,
            name=f"Tổ TK&VV {village} số {n}",
            commune_code=commune,
            association_code=association,
            village=village,
            leader_name=leader,
            founded_on=founded_on,
            dissolved_on=dissolved_on,
        )
        self.group_assoc[code] = [(founded_on, association)]
        self.group_commune[code] = commune

    def members(self):
        active = [c for c in self.group_assoc if c not in ("QN03-T900", "QN09-T901")]
        for code in active + ["QN03-T900", "QN09-T901"]:
            commune = self.group_commune[code]
            founded = self.group_assoc[code][0][0]
            size = {"QN03-T900": 12, "QN09-T901": 15}.get(code, self.rnd.randint(38, 60))
            for _ in range(size):
                nid, name, gender, birth_year = self.person()
                joined = max(founded, date(2014, self.rnd.randint(1, 12), 1))
                if self.rnd.random() < 0.12 and code != "QN03-T900":  # newer members, who borrow later
                    joined = max(founded, date(self.rnd.randint(2016, 2019), self.rnd.randint(1, 12), 1))
                if code == "QN09-T901":
                    joined = date(2020, 3, 1)
                self.add(
                    "Members",
                    national_id=nid,
                    full_name=name,
                    gender=gender,
                    birth_year=birth_year,
                    commune_code=commune,
                    village=f"Thôn {self.rnd.randint(1, 9)}",
                    household_category=self.rnd.choice(CATEGORIES),
                )
                self.member_commune[nid] = commune
                self.member_groups[nid] = [[joined, None, code]]
        # the dissolved group's members moved to a neighbouring group of the same commune
        target = next(c for c in active if c.startswith("QN03"))
        for periods in self.member_groups.values():
            if periods[0][2] == "QN03-T900":
                periods[0][1] = date(2018, 6, 30)
                periods.append([date(2018, 7, 1), None, target])
        # a few members move between groups of their commune in 2020
        movers = self.rnd.sample(
            [n for n, p in self.member_groups.items() if p[0][2] in active and len(p) == 1], 6 * self.scale
        )
        for nid in movers:
            commune = self.member_commune[nid]
            choices = [c for c in active if self.group_commune[c] == commune and c != self.member_groups[nid][0][2]]
            moved = date(2020, self.rnd.randint(2, 10), 1)
            self.member_groups[nid][0][1] = moved - DAY
            self.member_groups[nid].append([moved, None, self.rnd.choice(choices)])
        for nid, periods in self.member_groups.items():
            for joined, left, code in periods:
                self.add("Memberships", national_id=nid, group_code=code, joined_on=joined, left_on=left)
        # direct borrowers: households outside any group (job creation, production loans)
        for _ in range(30 * self.scale):
            nid, name, gender, birth_year = self.person()
            commune = self.rnd.choice(COMMUNES)[0]
            self.add(
                "Members",
                national_id=nid,
                full_name=name,
                gender=gender,
                birth_year=birth_year,
                commune_code=commune,
                household_category="Hộ gia đình",
            )
            self.member_commune[nid] = commune
            self.member_groups[nid] = []

    # -- loans --------------------------------------------------------------------------
    def next_loan_no(self, year: int) -> str:
        self.loan_seq += 1
        return f"KU{year}{self.loan_seq:07d}"

    def plan_loan(self, nid, program, channel, disbursed_on, behaviour, amount=None, grace=0):
        _w, amounts, terms, interval, _cat = PROGRAMS[program]
        term = self.rnd.choice(terms)
        amount = amount or self.rnd.choice(amounts) * 1_000_000
        tday = self.commune_days[self.member_commune[nid]]
        tranches = [(disbursed_on, amount)]
        if program == "02":  # students: a tranche every semester for four years
            tranches = [(add_months(disbursed_on, 6 * k), amount) for k in range(8)]
            tranches = [(d, a) for d, a in tranches if d <= END]
            grace = 48
        dues = [add_months(disbursed_on, k) for k in range(grace + interval, grace + term + 1, interval)]
        schedule = _schedule(sum(a for _, a in tranches), dues)
        plan = Plan(
            loan_no=self.next_loan_no(disbursed_on.year),
            nid=nid,
            program=program,
            channel=channel,
            disbursed_on=disbursed_on,
            tranches=tranches,
            schedule=schedule,
            behaviour=behaviour,
            transaction_day=tday,
            rate=self.rates[program],
        )
        self.plans.append(plan)
        return plan

    def transaction_day_in(self, nid, year, month):
        return billing_day(year, month, self.commune_days[self.member_commune[nid]])

    def loans(self):
        weights = [(code, spec[0]) for code, spec in PROGRAMS.items()]
        codes, w = zip(*weights, strict=True)
        for nid, periods in self.member_groups.items():
            if not periods:
                continue
            joined = periods[0][0]
            first = max(joined + timedelta(days=30), START)
            if periods[0][2] == "QN03-T900" or first > END:
                first = max(first, date(2018, 8, 1))
            if first > END:
                continue
            behaviour = self.rnd.choices(["good", "early", "late", "default"], [900, 40, 55, 2])[0]
            # spread first loans over 2015–2019 so that maturities roll over
            month_offset = self.rnd.randint(0, 23)
            day = add_months(date(2015, 1, 1), month_offset)
            day = max(day, first)
            if day > END:
                continue
            while day <= END:
                program = self.rnd.choices(codes, w)[0]
                grace = 0
                if program == "07":
                    grace = 60
                disbursed = self.transaction_day_in(nid, day.year, day.month)
                if disbursed < first:
                    disbursed = self.transaction_day_in(nid, *month_add(day.year, day.month, 1))
                if disbursed > END:
                    break
                plan = self.plan_loan(nid, program, "entrusted", disbursed, behaviour, grace=grace)
                maturity = plan.schedule[-1][0]
                if behaviour == "default" or maturity >= date(2020, 6, 1):
                    break
                day = add_months(maturity, self.rnd.randint(0, 3))
                behaviour = self.rnd.choices(["good", "early", "late"], [92, 4, 4])[0]
        # pools the calibration resizes: young loans that repay nothing in 2019
        self._pool_loans("year", date(2018, 7, 1), date(2018, 12, 31), 12 * self.scale, program="07", grace=60)
        for association in ASSOCIATION_TARGETS:
            self._pool_loans(
                association, date(2019, 7, 1), date(2019, 12, 31), 30 * self.scale, association=association
            )
        for nid, periods in self.member_groups.items():
            if periods:
                continue
            disbursed = self.transaction_day_in(nid, 2017 + self.rnd.randint(0, 2), self.rnd.randint(1, 12))
            plan = self.plan_loan(
                nid, "03", "direct", disbursed, "good", amount=self.rnd.choice((50, 60, 80)) * 1_000_000
            )
            if disbursed >= date(2019, 7, 1):
                plan.pool = "direct"
        if not any(p.pool == "direct" for p in self.plans):
            self.plans[-1].pool = "direct"
        self.treatments()

    def _pool_loans(self, pool, start, end, count, program="01", grace=0, association=None):
        members = [
            nid
            for nid, periods in self.member_groups.items()
            if len(periods) == 1
            and periods[0][0] < start
            and periods[0][1] is None
            and periods[0][2] not in ("QN03-T900", "QN09-T901")
            and (association is None or self.group_assoc[periods[-1][2]][0][1] == association)
            and len(self.group_assoc[periods[-1][2]]) == 1
        ]
        for nid in self.rnd.sample(members, count):
            month = self.rnd.randint(start.month, end.month)
            disbursed = self.transaction_day_in(nid, start.year, month)
            plan = self.plan_loan(nid, program, "entrusted", disbursed, "good", grace=max(grace, 6))
            plan.pool = pool

    def treatments(self):
        defaults = [
            p
            for p in self.plans
            if p.behaviour == "default" and p.schedule[-1][0] < date(2019, 10, 1) and not p.pool and p.program != "02"
        ]
        # force majeure: three defaulters frozen, two of them later written off
        for i, plan in enumerate(defaults[: 3 * self.scale]):
            plan.freeze = (add_months(plan.schedule[-1][0], 2), None)
            if i % 3 != 2:
                plan.write_off_on = self.transaction_day_in(plan.nid, 2020, 9)
        for plan in defaults[3 * self.scale :]:
            plan.pool = "overdue"
        # late payers whose final installment is extended before it falls due
        late = [
            p
            for p in self.plans
            if p.behaviour == "late" and not p.pool and date(2017, 3, 1) < p.schedule[-1][0] < date(2020, 6, 1)
        ]
        for plan in late[: 8 * self.scale]:
            due = plan.schedule[-1][0]
            plan.extension = (due, add_months(due, 12), due - timedelta(days=10))

    # -- principal ledger -------------------------------------------------------------
    def principal_rows(self, plan: Plan):
        """Repayments (and write-offs) following the borrower's behaviour."""
        rows = []
        if plan.behaviour == "early":  # repays everything halfway through the term
            half = len(plan.schedule) // 2
            pay_on = plan.schedule[half][0]
            rows = [(d, "principal", p) for d, p in plan.schedule[:half]]
            if pay_on <= END:
                rows.append((pay_on, "principal", plan.amount - sum(p for d, p in plan.schedule[:half])))
            plan.principal = [r for r in rows if r[0] <= END]
            return
        for i, (due, principal) in enumerate(plan.schedule):
            last = i == len(plan.schedule) - 1
            if plan.behaviour == "default":
                if i == 0 and due <= END:
                    rows.append((due, "principal", principal // 2 // 100_000 * 100_000 or principal))
                break
            if plan.extension and last:
                due = plan.extension[1]
            elif plan.behaviour == "late" and not (last and int(plan.loan_no[-1]) % 2):
                due = add_months(due, 1)
            if due > END:
                break
            rows.append((due, "principal", principal))
        if plan.write_off_on:
            left = plan.amount - sum(a for _, _, a in rows)
            rows.append((plan.write_off_on, "principal_write_off", left))
        plan.principal = rows

    def facts(self, plan: Plan) -> LoanFacts:
        facts = LoanFacts(
            annual_rate=plan.rate,
            overdue_factor=Fraction(13, 10),
            overdue_rule="maturity",
            transaction_day=plan.transaction_day,
            disbursements=list(plan.tranches),
            repayments=[(d, a) for d, k, a in plan.principal if k == "principal"],
            principal_write_offs=[(d, a) for d, k, a in plan.principal if k == "principal_write_off"],
            installments=[(i, d, p) for i, (d, p) in enumerate(plan.schedule)],
        )
        if plan.extension:
            index = [d for d, _ in plan.schedule].index(plan.extension[0])
            facts.extensions = [(index, plan.extension[1], plan.extension[2], 1)]
        if plan.freeze:
            book = LoanBook(facts)
            facts.freezes = [(book.outstanding(plan.freeze[0]), plan.freeze[0], plan.freeze[1])]
        return facts

    # -- calibration --------------------------------------------------------------------
    def association_of(self, nid, day):
        periods = [p for p in self.member_groups[nid] if p[0] <= day]
        code = periods[-1][2]
        history = [a for start, a in self.group_assoc[code] if start <= day] or [self.group_assoc[code][0][1]]
        return history[-1]

    def figures(self):
        """(entrusted at year start, entrusted per association, direct, entrusted overdue)."""
        per_association = dict.fromkeys(ASSOCIATION_TARGETS, 0)
        year_start = direct = overdue = 0
        for plan in self.plans:
            book = LoanBook(self.facts(plan))
            pos = book.position(REPORT_DAY)
            if plan.channel == "direct":
                direct += pos.outstanding
                continue
            year_start += book.outstanding(YEAR_START)
            overdue += pos.overdue
            if pos.outstanding:
                per_association[self.association_of(plan.nid, REPORT_DAY)] += pos.outstanding
        return year_start, per_association, direct, overdue

    def resize(self, plans: list[Plan], delta: int):
        """Spread `delta` đồng over the pool's loans: whole millions, the rest on one."""
        per_loan = delta // len(plans) // 1_000_000 * 1_000_000
        for i, plan in enumerate(plans):
            change = per_loan if i else delta - per_loan * (len(plans) - 1)
            day, amount = plan.tranches[0]
            if amount + change <= 1_000_000:
                raise RuntimeError(f"calibration pool {plan.pool} too small for {delta}")
            plan.tranches[0] = (day, amount + change)
            due, principal = plan.schedule[-1]
            if principal + change <= 0:
                raise RuntimeError(f"calibration of {plan.loan_no} breaks its schedule")
            plan.schedule[-1] = (due, principal + change)
            if plan.behaviour == "default":
                self.principal_rows(plan)

    def rescale(self, plans: list[Plan], factor: Fraction):
        """Multiply the loans' amounts by `factor` (whole millions), schedules follow.

        Each tranche's rounding is carried to the next, so the total stays within a
        million of the exact product however many loans there are: rounding every tranche
        alone drifts by up to 0.5 % of the book, more than the small pools can absorb at
        larger scales.
        """
        carry = Fraction(0)
        for plan in plans:
            tranches = []
            for d, a in plan.tranches:
                exact = a * factor + carry
                amount = max(1, round(exact / 1_000_000)) * 1_000_000
                carry = exact - amount
                tranches.append((d, amount))
            plan.tranches = tranches
            plan.schedule = _schedule(plan.amount, [d for d, _ in plan.schedule])
            self.principal_rows(plan)

    def calibrate(self):
        """Coarse scaling to the article's level, then exact đồng through the small pools."""
        for plan in self.plans:
            self.principal_rows(plan)
        pools = lambda name: [p for p in self.plans if p.pool == name]  # noqa: E731
        s = self.scale
        target_total = sum(ASSOCIATION_TARGETS.values()) * s
        year_target = target_total - CHANGE_SINCE_YEAR_START * s
        entrusted = [p for p in self.plans if p.channel == "entrusted" and not p.pool]
        year_start, _a, _d, _o = self.figures()
        self.rescale(entrusted, Fraction(year_target, year_start))
        # the overdue and year-start pools first: they move the associations' figures too,
        # which the young loans then absorb
        _y, _a, _d, overdue = self.figures()
        self.resize(pools("overdue"), OVERDUE_TARGET * s - overdue)
        year_start, _a, _d, _o = self.figures()
        self.resize(pools("year"), year_target - year_start)
        _y, per_association, _d, _o = self.figures()
        for code, target in ASSOCIATION_TARGETS.items():
            young = [
                p for p in entrusted if p.disbursed_on.year == 2019 and self.association_of(p.nid, REPORT_DAY) == code
            ]
            older = per_association[code] - sum(LoanBook(self.facts(p)).outstanding(REPORT_DAY) for p in young)
            self.rescale(young, Fraction(target * s - older, per_association[code] - older))
        _y, _a, direct, _o = self.figures()
        self.rescale([p for p in self.plans if p.channel == "direct"], Fraction(DIRECT_TARGET * s, direct))
        _y, _a, direct, _o = self.figures()
        self.resize(pools("direct"), DIRECT_TARGET * s - direct)
        _y, per_association, _d, _o = self.figures()
        for code, target in ASSOCIATION_TARGETS.items():
            self.resize(pools(code), target * s - per_association[code])

    # -- rows -------------------------------------------------------------------------
    def loan_rows(self, plans: list[Plan]):
        for plan in plans:
            first_day, first_amount = plan.tranches[0]
            self.add(
                "Loans",
                loan_no=plan.loan_no,
                national_id=plan.nid,
                program_code=plan.program,
                channel=plan.channel,
                disbursed_on=first_day,
                amount=first_amount,
                purpose=_PURPOSES.get(plan.program, ""),
            )
            for due, principal in plan.schedule:
                self.add("Installments", loan_no=plan.loan_no, due_on=due, principal=principal)
            for day, amount in plan.tranches[1:]:
                self.add("Transactions", loan_no=plan.loan_no, value_date=day, kind="disbursement", amount=amount)
            for day, kind, amount in plan.principal:
                self.add("Transactions", loan_no=plan.loan_no, value_date=day, kind=kind, amount=amount)
            facts = self.facts(plan)
            book = LoanBook(facts)
            self.interest_rows(plan, book)
            if plan.extension:
                due, new_due, decided = plan.extension
                self.add("Extensions", loan_no=plan.loan_no, due_on=due, new_due_on=new_due, decided_on=decided)
            if plan.freeze:
                amount, effective, ends = facts.freezes[0]
                self.add("Freezes", loan_no=plan.loan_no, amount=amount, effective_on=effective, ends_on=ends)

    def interest_rows(self, plan: Plan, book: LoanBook):
        """Interest paid on the billing days: on time, late, or not at all (defaulters)."""
        bills = book.bills(END)
        stop = None
        if plan.behaviour == "default":
            stop = add_months(plan.schedule[0][0], 3)
        if plan.freeze:
            stop = min(stop or END, plan.freeze[0])
        owed = paid = 0
        for i, bill in enumerate(bills):
            owed += bill.amount
            if stop and bill.billed_on >= stop:
                continue
            if plan.behaviour == "late" and i % 3 != 2 and i != len(bills) - 1:
                continue
            self.add("Transactions", loan_no=plan.loan_no, value_date=bill.billed_on, kind="interest", amount=owed)
            paid += owed
            owed = 0
        if plan.write_off_on:
            arrears = sum(b.amount for b in bills if b.billed_on <= plan.write_off_on) - paid
            if arrears > 0:
                self.add(
                    "Transactions",
                    loan_no=plan.loan_no,
                    value_date=plan.write_off_on,
                    kind="interest_write_off",
                    amount=arrears,
                )

    def savings(self):
        """Each group member's monthly deposit and withdrawals, drawn now; their rows are
        made with the member's commune (`savings_rows`)."""
        for nid, periods in self.member_groups.items():
            if not periods:
                continue
            monthly = self.rnd.choice((50, 50, 100, 100, 150, 200)) * 1_000
            withdrawals = {}
            balance = 0
            for y, m, _value_date in self.deposit_months(nid):
                balance += monthly
                if m == 1 and balance > 2_000_000 and self.rnd.random() < 0.1:
                    withdrawals[y, m] = amount = balance // 2 // 10_000 * 10_000
                    balance -= amount
            self.deposits[nid] = (monthly, withdrawals)

    def deposit_months(self, nid) -> Iterator[tuple[int, int, date]]:
        """The member's transaction days from their first membership (or START) to END."""
        joined = self.member_groups[nid][0][0]
        day = max(joined, START)
        y, m = day.year, day.month
        while (y, m) <= (END.year, END.month):
            value_date = self.transaction_day_in(nid, y, m)
            if value_date >= joined:
                yield y, m, value_date
            y, m = month_add(y, m, 1)

    def savings_rows(self, members: list[str]):
        for nid in members:
            monthly, withdrawals = self.deposits[nid]
            for y, m, value_date in self.deposit_months(nid):
                self.add("Savings", national_id=nid, value_date=value_date, kind="deposit", amount=monthly)
                if (y, m) in withdrawals:
                    amount = withdrawals[y, m]
                    self.add("Savings", national_id=nid, value_date=value_date, kind="withdrawal", amount=amount)

    def outreach(self):
        # Group meetings (target T7): most groups meet 3 to 5 days before their commune's
        # transaction day every month; some slip now and then, a few meet on the wrong day
        # by habit, and a slipping group sometimes records no meeting at all.
        for code, history in self.group_assoc.items():
            commune = self.group_commune[code]
            founded = history[0][0]
            habit = self.rnd.random()
            slips = 0.0 if habit < 0.8 else 0.15 if habit < 0.94 else 0.7
            for y in (2019, 2020):
                for m in range(1, 13):
                    late = self.rnd.random() < slips
                    days = self.rnd.choice((2, 6, 7, 7) if late else (3, 4, 4, 5))
                    held = billing_day(y, m, self.commune_days[commune]) - timedelta(days=days)
                    if held < founded or code == "QN03-T900" or (late and self.rnd.random() < 0.2):
                        continue
                    self.add("Meetings", group_code=code, held_on=held, attendees=self.rnd.randint(15, 40))
        trainees = [TRAINEES_2019 // len(COMMUNES)] * len(COMMUNES)
        trainees[0] += TRAINEES_2019 - sum(trainees)
        for (code, name, _k, _d), count in zip(COMMUNES, trainees, strict=True):
            self.add(
                "Trainings",
                held_on=date(2019, self.rnd.randint(3, 10), self.rnd.randint(1, 28)),
                commune_code=code,
                audience=f"Cán bộ Hội cấp xã và Ban quản lý Tổ TK&VV {name}",
                trainees=count,
                planned=count,
            )
        channels = ["tv", "newspaper", "sector_newspaper", "province_portal", "district_portal"]
        for association in ASSOCIATION_TARGETS:
            for y in (2019, 2020):
                for q in range(4):
                    # two or three items a quarter (target T9); the Youth Union's third
                    # quarter and the Veterans' second of 2020 fell short
                    count = 1 if y == 2020 and (association, q) in (("DTN", 2), ("CCB", 1)) else 2 + (q % 2)
                    for k in range(count):
                        self.add(
                            "NewsItems",
                            published_on=date(y, 3 * q + 1 + k, 10 + k),
                            association_code=association,
                            channel=channels[(q + k) % len(channels)],
                            title=f"{_ASSOCIATION_NAMES[association]} đồng hành cùng tín dụng chính sách quý {q + 1}/{y}",
                        )
        # one commune loudspeaker broadcast a quarter per commune association (target
        # T10), a few of them missed
        for code, name, _k, _d in COMMUNES:
            for association in ASSOCIATION_TARGETS:
                for q in range(4):
                    if self.rnd.random() < 0.06:
                        continue
                    self.add(
                        "NewsItems",
                        published_on=date(2020, 3 * q + 2, 15),
                        association_code=association,
                        commune_code=code,
                        channel="commune_loudspeaker",
                        title=f"Tuyên truyền vay vốn ưu đãi tại {name} quý {q + 1}/2020",
                    )

    def batches(self) -> Iterator[dict[str, list[Row]]]:
        """The district's batches: its own rows, then commune by commune. The plans (and
        every random draw) are made first, in one order whatever is asked; a commune's
        loans, ledgers and savings are made when its batch is, and let go after."""
        self.organization()
        self.members()
        self.loans()
        self.calibrate()
        self.savings()
        self.outreach()
        plans = defaultdict(list)
        for plan in sorted(self.plans, key=lambda p: p.loan_no):
            plans[self.member_commune[plan.nid]].append(plan)
        self.loan_commune = {plan.loan_no: self.member_commune[plan.nid] for plan in self.plans}
        members = defaultdict(list)
        for nid in self.deposits:
            members[self.member_commune[nid]].append(nid)
        yield self.rows.pop(None)
        for code, _n, _k, _d in COMMUNES:
            self.loan_rows(plans.pop(code, []))
            self.savings_rows(members.pop(code, []))
            yield self.rows.pop(code, {})


_PURPOSES = {
    "01": "Chăn nuôi bò",
    "19": "Trồng trọt, chăn nuôi",
    "09": "Phát triển sản xuất",
    "06": "Xây dựng công trình nước sạch và nhà tiêu",
    "10": "Sản xuất kinh doanh",
    "03": "Tạo việc làm",
    "07": "Xây dựng nhà ở",
    "02": "Học phí, sinh hoạt phí",
}
_ASSOCIATION_NAMES = {"HND": "Hội Nông dân", "HPN": "Hội Phụ nữ", "CCB": "Hội Cựu chiến binh", "DTN": "Đoàn Thanh niên"}


def demo_batches(*, scale: int = 1, seed: int = 2020) -> Iterator[dict[str, list[Row]]]:
    """The demo district as batches for `portfolio_write`, one after another (see the
    module's docstring); written in order, together they are the whole district."""
    return Generator(scale, seed).batches()
