"""The SQL of the rules of the book (DESIGN §4), set-based, for SQLite and PostgreSQL.

`BookQuery` assembles one statement out of common table expressions:

- the ledger (reversed rows and reversal rows left out) summed per loan at every date the
  report needs, the stored interest bills likewise;
- the attribution of every member at D, at the year start and at e;
- `loan_stock`, one row per loan: at D outstanding, frozen, the effective schedule, the
  interest balance, the outstanding at the year start, its group, commune and association
  at each date; over a period P = [s, e] its flows and the principal waterfall
  (cumulative sums turned into intervals, then interval overlaps), run only for the
  loans with an installment due in P; then overdue under the program's rule and the
  interest applied loan by loan;
- `cube`: each facet's figures (stock at D, year start, period, groups and savings)
  summed per key tuple, which the final SELECTs add up by any dimension;
  `borrower_keys` for the distinct borrowers.

Portable SQL only: CTEs, window functions, CASE in place of LEAST/GREATEST, dates passed
as named parameters (never computed in SQL); the MATERIALIZED / NOT MATERIALIZED hints
are read by PostgreSQL 12+ and SQLite 3.35+ alike. The statement's shape depends on the
request, never on the data: one query, whatever the number of loans. It scans each
ledger table once; the rest works on one row per loan.
"""

import json
from dataclasses import dataclass
from datetime import date

from django.db import connection

from lending.models import Channel, LoanTransaction, OverdueRule, SavingsTransaction

K = LoanTransaction.Kind
DISBURSEMENT = f"'{K.DISBURSEMENT.value}'"
PRINCIPAL = f"'{K.PRINCIPAL.value}'"
PRINCIPAL_WRITE_OFF = f"'{K.PRINCIPAL_WRITE_OFF.value}'"
INTEREST = f"'{K.INTEREST.value}'"
INTEREST_WRITE_OFF = f"'{K.INTEREST_WRITE_OFF.value}'"
ENTRUSTED = f"'{Channel.ENTRUSTED.value}'"
INSTALLMENT_RULE = f"'{OverdueRule.INSTALLMENT.value}'"
DEPOSIT = f"'{SavingsTransaction.Kind.DEPOSIT.value}'"

# Key columns of `cube`: the dimensions a figure can be grouped by.
DIMENSIONS = ("association", "commune", "group", "program")

STOCK_COLUMNS = (
    "outstanding",
    "entrusted_outstanding",
    "overdue",
    "entrusted_overdue",
    "frozen",
    "interest_arrears",
    "loans",
    "outstanding_year_start",
    "entrusted_outstanding_year_start",
    "groups",
    "members",
    "members_saving",
    "savings_balance",
    "groups_with_savings",
)
PERIOD_COLUMNS = (
    "disbursed",
    "principal_repaid",
    "principal_written_off",
    "principal_due",
    "principal_collected_of_due",
    "interest_billed",
    "interest_paid",
    "interest_applied_current",
    "interest_arrears_start",
    "interest_applied_arrears",
    "interest_arrears_end",
    # the 2020 target T4 (formats/scorecard.md): principal falling due in P, and the part
    # of it repaid, written off, frozen or extended by its due date
    "principal_falling_due",
    "principal_handled_on_time",
)
# Per-loan columns of `BookQuery.loan_sql`.
LOAN_COLUMNS = (
    "loan_id",
    "association_id",
    "commune_id",
    "group_id",
    "program_id",
    "outstanding",
    "frozen",
    "overdue",
    "maturity",
    "interest_balance",
    "outstanding_year_start",
)


def least(a: str, b: str) -> str:
    return f"(CASE WHEN {a} <= {b} THEN {a} ELSE {b} END)"


def greatest(a: str, b: str) -> str:
    return f"(CASE WHEN {a} >= {b} THEN {a} ELSE {b} END)"


def positive(a: str) -> str:
    return f"(CASE WHEN {a} > 0 THEN {a} ELSE 0 END)"


def sum_if(condition: str, value: str = "amount") -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"


def live_row(table: str, alias: str = "t") -> str:
    """The row counts: it is not a reversal and no reversal points at it."""
    return (
        f"{alias}.reverses_id IS NULL AND {alias}.id NOT IN "
        f"(SELECT r.reverses_id FROM {table} r WHERE r.reverses_id IS NOT NULL)"
    )


def year_start(as_of: date) -> date:
    """31/12 of the year before `as_of`: the base of 'change since year start'."""
    return date(as_of.year - 1, 12, 31)


class BookQuery:
    """Builds the statement for stock figures at `as_of` and, optionally, a period's flows.

    Parameters are named (`%(d)s`, ...): D, the year start, s, e, s − 1, and `hi`, the last
    day any figure looks at.
    """

    def __init__(
        self, as_of: date, period=None, extra_bills: list[tuple[int, date, int]] = (), loan_ids=None, scope=None
    ):
        """`loan_ids`: only these loans (and their members) are read, for a page that shows
        a few; their figures are the same as in the whole book's statement. `scope` (a
        `Scope`): only the members it names are read; the keys it covers come out whole."""
        self.as_of = as_of
        self.period = period
        self.loan_ids = None if loan_ids is None else sorted({int(i) for i in loan_ids})
        self.scope = scope
        self.extra_bills = list(extra_bills)
        self.params = {"d": as_of, "y0": year_start(as_of), "hi": as_of}
        if period is not None:
            self.params.update(s=period.start, e=period.end, s1=period.day_before, hi=max(as_of, period.end))
        if self.extra_bills:
            self.params["extra_bills"] = json.dumps(
                [[pk, day.isoformat(), amount] for pk, day, amount in self.extra_bills]
            )
        self.ctes: dict[str, str] = {}
        self.hints: dict[str, str] = {}
        self._build()

    # -- assembly ---------------------------------------------------------------------
    def _only(self, column: str, member: bool = False) -> str:
        """` AND column IN (...)`: the loans asked for (their members, with `member`), or
        the loans and members of the scope."""
        if self.scope is not None:
            members = self.scope.members_sql()
            if member:
                return f" AND {column} IN ({members})"
            return f" AND {column} IN (SELECT ol.id FROM lending_loan ol WHERE ol.member_id IN ({members}))"
        if self.loan_ids is None:
            return ""
        ids = ", ".join(map(str, self.loan_ids)) or "NULL"
        if member:
            return f" AND {column} IN (SELECT ol.member_id FROM lending_loan ol WHERE ol.id IN ({ids}))"
        return f" AND {column} IN ({ids})"

    def _loan_rows(self) -> str:
        """The loan table, or a scope's loans (by their member) as the first relation of
        the join: the statement joins more relations than the planner reorders, so the
        scope's few loans must come first for the joins to start from them."""
        if self.scope is None:
            return "lending_loan"
        return f"(SELECT * FROM lending_loan sl WHERE sl.member_id IN ({self.scope.members_sql()}))"

    def _scoped(self, column: str) -> str:
        """The scope's members only (a page's few loans still see every member's savings)."""
        return self._only(column, member=True) if self.scope is not None else ""

    def _cte(self, name: str, sql: str, materialized: bool | None = None):
        """Add a CTE; `materialized` hints whether to compute it once (True) or fold it
        into each query that reads it (False). Both hints are standard in PostgreSQL 12+
        and SQLite 3.35+. Folding pays over the whole book, where each reader keeps only
        part of the rows; over a scope the rows are few, and planning the
        folded copies costs more than computing them once, so the database chooses."""
        self.ctes[name] = sql
        if materialized is False and self.scope is not None:
            return
        if materialized is not None:
            self.hints[name] = "MATERIALIZED " if materialized else "NOT MATERIALIZED "

    def _with(self) -> str:
        return "WITH " + ",\n".join(
            f"{name} AS {self.hints.get(name, '')}(\n{sql}\n)" for name, sql in self.ctes.items()
        )

    def _same_date(self, role: str) -> str:
        """The first date role with the same day, so equal dates share one attribution."""
        for earlier in ("d", "y0", "e"):
            if earlier in self.params and self.params[earlier] == self.params[role]:
                return earlier
        return role

    @property
    def roles(self) -> list[str]:
        """The date roles that need an attribution of their own (equal dates share one)."""
        roles = ["d", "y0"] + (["e"] if self.period is not None else [])
        return list(dict.fromkeys(self._same_date(r) for r in roles))

    def _keys(self, prefix: str = "") -> str:
        """The attribution columns of every role, as `loan_stock` names them."""
        return ", ".join(
            f"{prefix}association_id_{r}, {prefix}commune_id_{r}, {prefix}group_id_{r}" for r in self.roles
        )

    def _build(self):
        self._ledger()
        self._schedule_and_freezes()
        if self.period is not None:
            self._waterfall()
        for role in self.roles:
            self._attribution(role)
        self._stock()
        if self.period is not None:
            self._interest_period()
        self._groups_and_savings()
        self._cube()

    # -- the ledger and the bills, summed per loan --------------------------------------
    def _ledger(self):
        principal_out = f"kind IN ({PRINCIPAL}, {PRINCIPAL_WRITE_OFF})"
        interest_out = f"kind IN ({INTEREST}, {INTEREST_WRITE_OFF})"
        # Reversal rows are few: the ids they reverse make a small list that every ledger
        # row is checked against, where an anti-join would read the whole table twice.
        self._cte(
            "live_txn",
            f"""SELECT t.id, t.loan_id, t.kind, t.value_date, t.amount
FROM lending_loantransaction t
WHERE t.value_date <= %(hi)s AND {live_row("lending_loantransaction")}{self._only("t.loan_id")}""",
            materialized=False,
        )
        # As few sums as the figures need: every one is a state per loan in the hash
        # table, and past work_mem that table spills to disk.
        columns = [
            f"{sum_if(f'kind = {DISBURSEMENT} AND value_date <= %(d)s')} AS disbursed_d",
            f"{sum_if(f'{principal_out} AND value_date <= %(d)s')} AS principal_settled_d",
            f"{sum_if(f'{interest_out} AND value_date <= %(d)s')} AS interest_settled_d",
            f"""SUM(CASE WHEN value_date > %(y0)s THEN 0 WHEN kind = {DISBURSEMENT} THEN amount
    WHEN {principal_out} THEN -amount ELSE 0 END) AS outstanding_y0""",
        ]
        bill_columns = [f"{sum_if('billed_on <= %(d)s')} AS billed_d"]
        if self.period is not None:
            in_p = "value_date >= %(s)s AND value_date <= %(e)s"
            columns += [
                f"{sum_if(f'{interest_out} AND value_date <= %(s1)s')} AS interest_settled_s1",
                f"{sum_if(f'kind = {DISBURSEMENT} AND {in_p}')} AS disbursed_p",
                f"{sum_if(f'kind = {PRINCIPAL} AND {in_p}')} AS repaid_p",
                f"{sum_if(f'kind = {PRINCIPAL_WRITE_OFF} AND {in_p}')} AS written_off_p",
                f"{sum_if(f'kind = {INTEREST} AND {in_p}')} AS interest_paid_p",
            ]
            # bills in P = billed by e − billed by s − 1
            bill_columns += [f"{sum_if('billed_on <= %(s1)s')} AS billed_s1"]
            if self._same_date("e") != "d":
                columns += [f"{sum_if(f'{interest_out} AND value_date <= %(e)s')} AS interest_settled_e"]
                bill_columns += [f"{sum_if('billed_on <= %(e)s')} AS billed_e"]
        self._cte(
            "ledger",
            "SELECT loan_id,\n  " + ",\n  ".join(columns) + "\nFROM live_txn GROUP BY loan_id",
        )
        self._cte(
            "bills",
            "SELECT loan_id,\n  "
            + ",\n  ".join(bill_columns)
            + f"\nFROM {self._bill_source()} WHERE billed_on <= %(hi)s{self._only('loan_id')} GROUP BY loan_id",
        )

    def _bill_source(self) -> str:
        """The stored bills, and the bills beyond the cache computed in memory (rare: the
        cache is kept current by the writes and the nightly rebuild), passed as one JSON
        parameter so that a report never writes them."""
        if not self.extra_bills:
            return "lending_interestbill"
        if connection.vendor == "postgresql":
            extra = """SELECT (x->>0)::bigint AS loan_id, (x->>1)::date AS billed_on, (x->>2)::bigint AS amount
  FROM json_array_elements(%(extra_bills)s::json) AS x"""
        else:
            extra = """SELECT json_extract(value, '$[0]') AS loan_id, json_extract(value, '$[1]') AS billed_on,
    json_extract(value, '$[2]') AS amount
  FROM json_each(%(extra_bills)s)"""
        # a stale loan's stored bills count through its bills_through, the computed ones after
        stored = """SELECT b.loan_id, b.billed_on, b.amount FROM lending_interestbill b
  JOIN lending_loan sl ON sl.id = b.loan_id WHERE b.billed_on <= sl.bills_through"""
        return f"(\n{stored}\nUNION ALL\n{extra}) all_bills"

    def _schedule(self, role: str):
        """Each installment's effective due date: its latest extension decided by the date."""
        # (an anti-join rather than a ranking window: the planner then sizes it right
        # and hashes it against the installments)
        self._cte(
            f"extension_{role}",
            f"""SELECT x.installment_id, x.new_due_on
FROM lending_extension x
WHERE x.decided_on <= %({role})s{self._only("x.loan_id")} AND NOT EXISTS (
  SELECT 1 FROM lending_extension y
  WHERE y.installment_id = x.installment_id AND y.decided_on <= %({role})s
    AND (y.decided_on > x.decided_on OR (y.decided_on = x.decided_on AND y.id > x.id))
)""",
            materialized=False,
        )
        # folded into each reader: the per-loan totals then read the installments in loan
        # order, with no copy of the whole schedule to hash
        self._cte(
            f"schedule_{role}",
            f"""SELECT i.id AS installment_id, i.loan_id, i.due_on, i.principal,
  COALESCE(x.new_due_on, i.due_on) AS due
FROM lending_installment i LEFT JOIN extension_{role} x ON x.installment_id = i.id
WHERE 1 = 1{self._only("i.loan_id")}""",
            materialized=False,
        )

    # -- stock figures at D ----------------------------------------------------------------
    def _schedule_and_freezes(self):
        self._schedule("d")
        self._cte(
            "schedule_totals_d",
            f"""SELECT loan_id, MAX(due) AS maturity, {sum_if("due < %(d)s", "principal")} AS due_before
FROM schedule_d GROUP BY loan_id""",
        )
        self._cte(
            "freezes_d",
            f"""SELECT loan_id, SUM(amount) AS amount FROM lending_freeze
WHERE effective_on <= %(d)s AND (ends_on IS NULL OR ends_on > %(d)s){self._only("loan_id")} GROUP BY loan_id""",
        )

    # -- per loan: stock figures at D (and the period's sums) ------------------------------
    def _stock(self):
        # One row per loan out of every per-loan sum: the ledger and the bills are read
        # once each, the period figures and the attribution at each date ride along.
        period_columns, period_joins = "", ""
        if self.period is not None:
            e = "d" if self._same_date("e") == "d" else "e"
            period_columns = f""",
  COALESCE(g.disbursed_p, 0) AS disbursed,
  COALESCE(g.repaid_p, 0) AS principal_repaid,
  COALESCE(g.written_off_p, 0) AS principal_written_off,
  COALESCE(pd.principal_due, 0) AS principal_due,
  COALESCE(pd.principal_collected_of_due, 0) AS principal_collected_of_due,
  COALESCE(b.billed_{e}, 0) - COALESCE(b.billed_s1, 0) AS interest_billed,
  COALESCE(g.interest_paid_p, 0) AS interest_paid,
  COALESCE(ot.principal_falling_due, 0) AS principal_falling_due,
  COALESCE(ot.principal_handled_on_time, 0) AS principal_handled_on_time,
  COALESCE(b.billed_s1, 0) - COALESCE(g.interest_settled_s1, 0) AS balance_start,
  COALESCE(b.billed_{e}, 0) - COALESCE(g.interest_settled_{e}, 0) AS balance_end"""
            period_joins = (
                "\nLEFT JOIN principal_due_p pd ON pd.loan_id = l.id\nLEFT JOIN on_time_p ot ON ot.loan_id = l.id"
            )
        # an entrusted loan follows its member's group; a direct one, its member's commune
        entrusted = f"l.channel = {ENTRUSTED}"
        attribution_columns = "".join(
            f""",
  CASE WHEN {entrusted} THEN a_{r}.association_id END AS association_id_{r},
  CASE WHEN {entrusted} AND a_{r}.group_commune_id IS NOT NULL THEN a_{r}.group_commune_id
       ELSE a_{r}.member_commune_id END AS commune_id_{r},
  CASE WHEN {entrusted} THEN a_{r}.group_id END AS group_id_{r}"""
            for r in self.roles
        )
        attribution_joins = "".join(
            f"\nLEFT JOIN member_attribution_{r} a_{r} ON a_{r}.member_id = l.member_id" for r in self.roles
        )
        self._cte(
            "loan_stock",
            f"""SELECT l.id AS loan_id, l.member_id, l.program_id, l.channel, p.overdue_rule,
  COALESCE(g.disbursed_d, 0) - COALESCE(g.principal_settled_d, 0) AS outstanding,
  COALESCE(g.principal_settled_d, 0) AS principal_settled,
  COALESCE(fz.amount, 0) AS in_force,
  sc.maturity, COALESCE(sc.due_before, 0) AS due_before,
  COALESCE(b.billed_d, 0) - COALESCE(g.interest_settled_d, 0) AS interest_balance,
  COALESCE(g.outstanding_y0, 0) AS outstanding_year_start{period_columns}{attribution_columns}
FROM {self._loan_rows()} l
JOIN lending_loanprogram p ON p.id = l.program_id
LEFT JOIN ledger g ON g.loan_id = l.id
LEFT JOIN bills b ON b.loan_id = l.id
LEFT JOIN freezes_d fz ON fz.loan_id = l.id
LEFT JOIN schedule_totals_d sc ON sc.loan_id = l.id{period_joins}{attribution_joins}
WHERE l.disbursed_on <= %(hi)s{self._only("l.id") if self.scope is None else ""}""",
            materialized=True,
        )
        self._cte(
            "loan_frozen",
            f"SELECT ls.*, {least('ls.in_force', positive('ls.outstanding'))} AS frozen FROM loan_stock ls",
        )
        free = "(outstanding - frozen)"
        late = "(due_before - principal_settled - frozen)"
        self._cte(
            "loan_position",
            f"""SELECT loan_id, member_id, program_id, channel, outstanding, frozen, maturity,
  interest_balance, outstanding_year_start, {self._keys()},
  CASE WHEN {free} <= 0 THEN 0
       WHEN overdue_rule = {INSTALLMENT_RULE} THEN {least(positive(late), free)}
       WHEN maturity IS NOT NULL AND maturity < %(d)s THEN {free}
       ELSE 0 END AS overdue
FROM loan_frozen""",
        )

    # -- period figures --------------------------------------------------------------------
    def _waterfall(self):
        """principal_due and principal_collected_of_due over P, loan by loan.

        Installments (schedule at e, by effective due, contract due, id) and the principal
        settlements ≤ e (by value date, repayments before write-offs, id) are laid end to
        end as intervals of cumulated đồng; an installment is covered by the settlements
        whose interval overlaps its own, by the length of the overlap.
        """
        role = "d" if self.params["e"] == self.params["d"] else "e"
        if role == "e":
            self._schedule("e")
        # Only the loans with an installment due in P have a waterfall to run: a few
        # thousand, whose settlements the (loan, kind, value date) index finds.
        self._cte(
            "period_loans",
            f"SELECT DISTINCT loan_id FROM schedule_{role} WHERE due >= %(s)s AND due <= %(e)s",
            materialized=True,
        )
        self._cte(
            "installment_span",
            f"""SELECT loan_id, installment_id, due, principal,
  SUM(principal) OVER (PARTITION BY loan_id ORDER BY due, due_on, installment_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS span_end
FROM schedule_{role} WHERE loan_id IN (SELECT loan_id FROM period_loans)""",
        )
        self._cte(
            "due_in_period",
            """SELECT loan_id, installment_id, due, principal, span_end - principal AS span_start, span_end
FROM installment_span WHERE due >= %(s)s AND due <= %(e)s""",
            materialized=False,
        )
        self._cte(
            "settlement_span",
            f"""SELECT loan_id, kind, value_date, span_end - amount AS span_start, span_end FROM (
  SELECT loan_id, kind, value_date, amount,
    SUM(amount) OVER (PARTITION BY loan_id
                      ORDER BY value_date, CASE WHEN kind = {PRINCIPAL} THEN 0 ELSE 1 END, id
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS span_end
  FROM lending_loantransaction t
  WHERE t.loan_id IN (SELECT loan_id FROM period_loans)
    AND t.kind IN ({PRINCIPAL}, {PRINCIPAL_WRITE_OFF}) AND t.value_date <= %(e)s
    AND {live_row("lending_loantransaction")}
) settlements""",
            materialized=False,
        )
        overlap = f"({least('d.span_end', 'p.span_end')} - {greatest('d.span_start', 'p.span_start')})"
        self._cte(
            "installment_cover",
            f"""SELECT d.installment_id,
  {sum_if(f"p.kind = {PRINCIPAL}", overlap)} AS repaid,
  {sum_if(f"p.kind = {PRINCIPAL_WRITE_OFF}", overlap)} AS written_off
FROM due_in_period d
JOIN settlement_span p
  ON p.loan_id = d.loan_id AND p.span_start < d.span_end AND p.span_end > d.span_start
GROUP BY d.installment_id""",
            materialized=False,
        )
        self._cte(
            "principal_due_p",
            """SELECT d.loan_id,
  SUM(d.principal - COALESCE(c.written_off, 0)) AS principal_due,
  SUM(COALESCE(c.repaid, 0)) AS principal_collected_of_due
FROM due_in_period d LEFT JOIN installment_cover c ON c.installment_id = d.installment_id
GROUP BY d.loan_id""",
        )
        self._on_time(role)

    def _on_time(self, role: str):
        """T4 of the 2020 targets, loan by loan: the principal falling due in P and the
        part of it handled by its due date.

        An installment due in P (schedule at e) is covered, in §4's allocation, by the
        settlements laid end to end before it; by its due date d the settlements dated ≤ d
        fill the cumulated đồng up to S(d), and the principal frozen at d covers the next
        F(d) (the earliest unpaid principal), so it is handled up to
        min(principal, max(0, S(d) + F(d) − its span's start)). An installment that fell
        due in P and that an extension decided by e moved past e counts with its whole
        principal: handled when the extension was decided by the due date it moved, not
        handled otherwise."""
        self._cte(
            "settled_by_due",
            """SELECT d.installment_id, MAX(p.span_end) AS settled
FROM due_in_period d JOIN settlement_span p ON p.loan_id = d.loan_id AND p.value_date <= d.due
GROUP BY d.installment_id""",
            materialized=False,
        )
        self._cte(
            "frozen_by_due",
            """SELECT d.installment_id, SUM(fz.amount) AS frozen
FROM due_in_period d JOIN lending_freeze fz
  ON fz.loan_id = d.loan_id AND fz.effective_on <= d.due AND (fz.ends_on IS NULL OR fz.ends_on > d.due)
GROUP BY d.installment_id""",
            materialized=False,
        )
        reach = "(COALESCE(sb.settled, 0) + COALESCE(fb.frozen, 0) - d.span_start)"
        self._cte(
            "installment_on_time",
            f"""SELECT d.loan_id, d.principal, {least("d.principal", positive(reach))} AS handled
FROM due_in_period d
LEFT JOIN settled_by_due sb ON sb.installment_id = d.installment_id
LEFT JOIN frozen_by_due fb ON fb.installment_id = d.installment_id""",
            materialized=False,
        )
        # extensions decided by e that moved an installment from a day in P past e; the
        # day it moved from is the one the extension before it set, or the contract's
        moved_from = """COALESCE((SELECT y.new_due_on FROM lending_extension y
    WHERE y.installment_id = x.installment_id
      AND (y.decided_on < x.decided_on OR (y.decided_on = x.decided_on AND y.id < x.id))
    ORDER BY y.decided_on DESC, y.id DESC LIMIT 1), i.due_on)"""
        self._cte(
            "moved_out",
            f"""SELECT m.* FROM (
  SELECT x.id, x.loan_id, x.installment_id, x.decided_on, i.principal, {moved_from} AS moved_from
  FROM lending_extension x JOIN lending_installment i ON i.id = x.installment_id
  WHERE x.decided_on <= %(e)s AND x.new_due_on > %(e)s{self._only("x.loan_id")}
) m
JOIN schedule_{role} sc ON sc.installment_id = m.installment_id AND sc.due > %(e)s
WHERE m.moved_from >= %(s)s AND m.moved_from <= %(e)s""",
            materialized=True,
        )
        self._cte(
            "on_time_p",
            """SELECT loan_id, SUM(principal) AS principal_falling_due, SUM(handled) AS principal_handled_on_time
FROM (
  SELECT loan_id, principal, handled FROM installment_on_time
  UNION ALL
  SELECT m.loan_id, m.principal, CASE WHEN m.decided_on <= m.moved_from THEN m.principal ELSE 0 END
  FROM moved_out m WHERE NOT EXISTS (
    SELECT 1 FROM moved_out later WHERE later.installment_id = m.installment_id
      AND (later.decided_on > m.decided_on OR (later.decided_on = m.decided_on AND later.id > m.id))
  )
) handled GROUP BY loan_id""",
        )

    def _interest_period(self):
        self._cte(
            "loan_period_base",
            f"""SELECT loan_id, member_id, program_id, channel, disbursed, principal_repaid,
  principal_written_off, principal_due, principal_collected_of_due, principal_falling_due,
  principal_handled_on_time, interest_billed, interest_paid, balance_start, balance_end, {self._keys()}
FROM loan_stock""",
        )
        # credit_start = max(0, −balance_start); what is available to apply = paid + credit.
        self._cte(
            "loan_period_credit",
            f"""SELECT lb.*, {positive("lb.balance_start")} AS interest_arrears_start,
  lb.interest_paid + {positive("-lb.balance_start")} AS available
FROM loan_period_base lb""",
        )
        self._cte(
            "loan_period_current",
            f"""SELECT lc.*, {least("lc.available", "lc.interest_billed")} AS interest_applied_current
FROM loan_period_credit lc""",
        )
        self._cte(
            "loan_period",
            f"""SELECT loan_id, member_id, program_id, channel, disbursed, principal_repaid,
  principal_written_off, principal_due, principal_collected_of_due, principal_falling_due,
  principal_handled_on_time, interest_billed, interest_paid, interest_applied_current,
  interest_arrears_start, {self._keys()},
  {least("available - interest_applied_current", "interest_arrears_start")} AS interest_applied_arrears,
  {positive("balance_end")} AS interest_arrears_end
FROM loan_period_current""",
        )

    # -- attribution -------------------------------------------------------------------------
    def _attribution(self, role: str):
        """Group, commune and association of every member at the date `role`.

        A member is in their group at the date (left_on inclusive) or the last group before
        it; the group's association is its latest assignment in force, or its first one.
        `loan_stock` applies it: an entrusted loan follows its member's group, a direct
        loan belongs to its member's commune only.
        """
        day = f"%({role})s"
        # "The latest row per key" as anti-joins rather than ranking windows: the planner
        # sizes an anti-join from the table's statistics, where a `rank = 1` filter looks
        # like a handful of rows and invites nested loops over the whole book.
        self._cte(
            f"member_group_{role}",
            f"""SELECT ms.member_id, ms.group_id,
  CASE WHEN ms.left_on IS NULL OR ms.left_on >= {day} THEN 1 ELSE 0 END AS in_force
FROM groups_membership ms
WHERE ms.joined_on <= {day}{self._only("ms.member_id", member=True)} AND NOT EXISTS (
  SELECT 1 FROM groups_membership later
  WHERE later.member_id = ms.member_id AND later.joined_on <= {day}
    AND (later.joined_on > ms.joined_on OR (later.joined_on = ms.joined_on AND later.id > ms.id))
)""",
            materialized=True,
        )
        in_force = f"ga.effective_on <= {day}"
        other_in_force = f"other.effective_on <= {day}"
        self._cte(
            f"group_association_{role}",
            f"""SELECT ga.group_id, ga.association_id
FROM groups_groupassignment ga
WHERE NOT EXISTS (
  SELECT 1 FROM groups_groupassignment other
  WHERE other.group_id = ga.group_id AND (
    ({other_in_force} AND NOT {in_force})
    OR ({other_in_force} AND {in_force}
        AND (other.effective_on > ga.effective_on OR (other.effective_on = ga.effective_on AND other.id < ga.id)))
    OR (NOT {other_in_force} AND NOT {in_force}
        AND (other.effective_on < ga.effective_on OR (other.effective_on = ga.effective_on AND other.id < ga.id)))
  )
)""",
            materialized=True,
        )
        self._cte(
            f"member_attribution_{role}",
            f"""SELECT m.id AS member_id, m.commune_id AS member_commune_id, mg.group_id,
  sg.commune_id AS group_commune_id, ga.association_id
FROM groups_member m
LEFT JOIN member_group_{role} mg ON mg.member_id = m.id
LEFT JOIN groups_savingsgroup sg ON sg.id = mg.group_id
LEFT JOIN group_association_{role} ga ON ga.group_id = mg.group_id
WHERE 1 = 1{self._only("m.id", member=True)}""",
        )

    # -- groups and savings at D ---------------------------------------------------------------
    def _groups_and_savings(self):
        self._cte(
            "savings_d",
            f"""SELECT t.member_id, SUM(CASE WHEN t.kind = {DEPOSIT} THEN t.amount ELSE -t.amount END) AS balance
FROM lending_savingstransaction t
WHERE t.value_date <= %(d)s AND {live_row("lending_savingstransaction")}{self._scoped("t.member_id")}
GROUP BY t.member_id""",
        )
        self._cte(
            "group_members_d",
            """SELECT member_id, group_id FROM member_group_d WHERE in_force = 1""",
        )
        in_scope = self.scope.groups_filter("sg.id") if self.scope is not None else ""
        self._cte(
            "group_totals_d",
            f"""SELECT sg.id AS group_id, sg.commune_id, ga.association_id,
  CASE WHEN sg.dissolved_on IS NULL OR sg.dissolved_on > %(d)s THEN 1 ELSE 0 END AS active,
  COUNT(gm.member_id) AS members,
  SUM(CASE WHEN sv.balance > 0 THEN 1 ELSE 0 END) AS members_saving,
  COALESCE(SUM(sv.balance), 0) AS savings
FROM groups_savingsgroup sg
LEFT JOIN group_association_d ga ON ga.group_id = sg.id
LEFT JOIN group_members_d gm ON gm.group_id = sg.id
LEFT JOIN savings_d sv ON sv.member_id = gm.member_id
WHERE sg.founded_on <= %(d)s{in_scope}
GROUP BY sg.id, sg.commune_id, ga.association_id, sg.dissolved_on""",
        )

    # -- the cube: figures summed per key tuple, facet by facet ------------------------------
    def _cube(self):
        """`cube`: the figures summed per (association, commune, group, program), each facet
        on its own (its few columns, its date's attribution), then stacked. Every dimension
        is a function of the four keys, so the final SELECTs only add up this small table."""
        entrusted = f"l.channel = {ENTRUSTED}"
        y0 = self._same_date("y0")
        e = self._same_date("e") if self.period is not None else None
        parts = [
            self._facet(
                "loan_position l",
                "d",
                {
                    "outstanding": "l.outstanding",
                    "entrusted_outstanding": f"CASE WHEN {entrusted} THEN l.outstanding ELSE 0 END",
                    "overdue": "l.overdue",
                    "entrusted_overdue": f"CASE WHEN {entrusted} THEN l.overdue ELSE 0 END",
                    "frozen": "l.frozen",
                    "interest_arrears": positive("l.interest_balance"),
                    "loans": "CASE WHEN l.outstanding > 0 THEN 1 ELSE 0 END",
                },
            ),
            self._facet(
                "loan_position l",
                y0,
                {
                    "outstanding_year_start": "l.outstanding_year_start",
                    "entrusted_outstanding_year_start": (
                        f"CASE WHEN {entrusted} THEN l.outstanding_year_start ELSE 0 END"
                    ),
                },
            ),
        ]
        if e is not None:
            parts.append(self._facet("loan_period l", e, {c: f"l.{c}" for c in PERIOD_COLUMNS}))
        parts.append(
            self._select(
                "group_totals_d g",
                {
                    "association_id": "g.association_id",
                    "commune_id": "g.commune_id",
                    "group_id": "g.group_id",
                    "groups": "g.active",
                    "members": "g.members",
                    "members_saving": "COALESCE(g.members_saving, 0)",
                    "savings_balance": "g.savings",
                    "groups_with_savings": "CASE WHEN g.active = 1 AND g.savings > 0 THEN 1 ELSE 0 END",
                },
            )
        )
        # Savings of members in no group at D belong to their commune alone.
        parts.append(
            self._select(
                """savings_d sv JOIN groups_member m ON m.id = sv.member_id
  LEFT JOIN group_members_d gm ON gm.member_id = sv.member_id""",
                {"commune_id": "m.commune_id", "savings_balance": "SUM(sv.balance)"},
                where="gm.member_id IS NULL",
                group_by="m.commune_id",
            )
        )
        self._cte("cube", "\nUNION ALL\n".join(parts), materialized=True)
        # Borrowers are counted distinct: their keys are kept apart, one narrow row each.
        self._cte(
            "borrower_keys",
            """SELECT DISTINCT association_id_d AS association_id, commune_id_d AS commune_id,
  group_id_d AS group_id, program_id, member_id AS borrower_id
FROM loan_position WHERE outstanding > 0""",
            materialized=True,
        )

    def _facet(self, source: str, role: str, values: dict) -> str:
        """One facet's figures summed per key tuple, its loans attributed at the date `role`."""
        keys = [f"l.association_id_{role}", f"l.commune_id_{role}", f"l.group_id_{role}", "l.program_id"]
        return self._select(
            source,
            dict(zip([f"{d}_id" for d in DIMENSIONS], keys, strict=True))
            | {name: f"SUM({expr})" for name, expr in values.items()},
            group_by=", ".join(keys),
        )

    def _select(self, source: str, values: dict, where: str | None = None, group_by: str | None = None) -> str:
        keys = [f"{d}_id" for d in DIMENSIONS]
        columns = [f"{values.get(k, 'CAST(NULL AS BIGINT)')} AS {k}" for k in keys]
        columns += [f"{values.get(c, '0')} AS {c}" for c in self.value_columns]
        sql = "SELECT " + ",\n  ".join(columns) + f"\nFROM {source}"
        sql += f"\nWHERE {where}" if where else ""
        return sql + (f"\nGROUP BY {group_by}" if group_by else "")

    @property
    def value_columns(self) -> tuple[str, ...]:
        return STOCK_COLUMNS + (PERIOD_COLUMNS if self.period is not None else ())

    # -- statements ----------------------------------------------------------------------------
    def aggregate_sql(self, dimensions: list[tuple[str, ...]]) -> str:
        """Rows of each requested dimension tuple: (index, part, k1..k4, figures..., borrowers).

        Part 0 carries the sums of a key (added up from `cube`), part 1 its number of
        distinct borrowers (from `borrower_keys`).
        """
        width = len(DIMENSIONS)
        selects = []
        for index, dims in enumerate(dimensions):
            for dim in dims:
                if dim not in DIMENSIONS:
                    raise ValueError(f"unknown dimension {dim!r}; use one of {DIMENSIONS}")
            keys = [f"{d}_id" for d in dims]
            key_columns = [f"{k} AS k{i}" for i, k in enumerate(keys)]
            key_columns += [f"CAST(NULL AS BIGINT) AS k{i}" for i in range(len(keys), width)]
            group_by = " GROUP BY " + ", ".join(keys) if keys else ""
            sums = [f"SUM({c}) AS {c}" for c in self.value_columns]
            selects.append(
                f"SELECT {index} AS dimension, 0 AS part, "
                + ", ".join(key_columns + sums + ["CAST(NULL AS BIGINT) AS borrowers"])
                + f" FROM cube{group_by}"
            )
            nulls = ["NULL"] * len(self.value_columns)
            selects.append(
                f"SELECT {index}, 1, "
                + ", ".join(key_columns + nulls + ["COUNT(*)"])
                + " FROM (SELECT DISTINCT "
                + ", ".join([*keys, "borrower_id"])
                + f" FROM borrower_keys) borrowers{group_by}"
            )
        return self._with() + "\n" + "\nUNION ALL\n".join(selects)

    def loan_sql(self, loan_ids: list[int] | None = None) -> str:
        """One row per loan: its attribution at D, stock figures and period figures."""
        from_attribution = {"association_id", "commune_id", "group_id"}
        columns = [f"l.{c}_d AS {c}" if c in from_attribution else f"l.{c}" for c in LOAN_COLUMNS]
        source = "loan_position l"
        if self.period is not None:
            columns += [f"p.{c}" for c in PERIOD_COLUMNS]
            source += " JOIN loan_period p ON p.loan_id = l.loan_id"
        sql = self._with() + "\nSELECT " + ", ".join(columns) + f" FROM {source}"
        if loan_ids is not None:
            sql += " WHERE l.loan_id IN (" + (", ".join(str(int(i)) for i in loan_ids) or "NULL") + ")"
        return sql + " ORDER BY l.loan_id"

    def group_list_sql(self) -> str:
        """Groups active at D, by code, with their commune and association codes at D."""
        return f"""WITH group_association_d AS (
{self.ctes["group_association_d"]}
)
SELECT sg.id, sg.code, sg.name, c.code AS commune_code, a.code AS association_code
FROM groups_savingsgroup sg
JOIN groups_commune c ON c.id = sg.commune_id
LEFT JOIN group_association_d ga ON ga.group_id = sg.id
LEFT JOIN groups_association a ON a.id = ga.association_id
WHERE sg.founded_on <= %(d)s AND (sg.dissolved_on IS NULL OR sg.dissolved_on > %(d)s)
ORDER BY sg.code"""


class StoredQuery(BookQuery):
    """The same aggregate over a stored period (reporting.models): `cube` and
    `borrower_keys` are read from the store instead of computed from the ledger."""

    def __init__(self, period_id: int, period=None, within: dict | None = None):
        """`within`: {dimension: an id, or a collection of ids}, only the rows of those keys
        (for a caller that keeps only them)."""
        self.as_of = None
        self.period = period
        self.loan_ids = None
        self.scope = None
        self.extra_bills = []
        self.params = {"stored_period": period_id}
        where = "period_id = %(stored_period)s"
        for name, key in sorted((within or {}).items()):
            if name not in DIMENSIONS:
                raise ValueError(f"unknown dimension {name!r}; use one of {DIMENSIONS}")
            if isinstance(key, int):
                self.params[f"within_{name}"] = key
                where += f" AND {name}_id = %(within_{name})s"
            else:  # a collection of ids
                where += f" AND {name}_id IN ({_ids(sorted(key))})"
        keys = ", ".join(f"{d}_id" for d in DIMENSIONS)  # STORED_KEYS, defined below
        self.ctes = {
            "cube": f"SELECT {keys}, {', '.join(self.value_columns)}\nFROM reporting_periodcube WHERE {where}",
            "borrower_keys": f"SELECT {keys}, borrower_id\nFROM reporting_periodborrower WHERE {where}",
        }
        # each reader scans the period's rows by the index: cheaper than a copy of them
        self.hints = dict.fromkeys(self.ctes, "NOT MATERIALIZED ")


# What a stored period holds, in this column order (reporting.models, reporting.store).
STORED_KEYS = tuple(f"{d}_id" for d in DIMENSIONS)
STORED_CUBE = (*STORED_KEYS, *STOCK_COLUMNS, *PERIOD_COLUMNS)
STORED_BORROWERS = (*STORED_KEYS, "borrower_id")
TOTAL_KEYS = tuple(k for k in STORED_KEYS if k != "group_id")
STORED_TOTALS = (*TOTAL_KEYS, *STOCK_COLUMNS, *PERIOD_COLUMNS)


def _ids(ids) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


@dataclass(frozen=True)
class Scope:
    """A part of the book a statement reads: the members ever in one of its groups, and
    the members of its communes (whose direct loans, and savings outside groups, belong
    to the commune alone).

    Every figure keyed by one of the groups, or by one of the communes without a group,
    comes out whole: whoever it sums over is in the scope. `where` keeps those keys; the
    other keys of the statement come out partial and are left out by it (or by the
    caller, who keeps only an association's or a commune's keys).
    """

    groups: str  # what goes in `IN (…)`: group ids, or a SELECT of them
    communes: tuple[int, ...] = ()

    @classmethod
    def of(cls, groups=(), communes=()) -> "Scope":
        return cls(_ids(sorted(groups)), tuple(sorted(int(c) for c in communes)))

    @classmethod
    def within(cls, association_id: int | None = None, commune_id: int | None = None) -> "Scope":
        """An association's groups (every group ever assigned to it), in one commune with
        `commune_id`; a commune alone also takes its own members."""
        conditions = ["1 = 1"]
        if association_id is not None:
            conditions.append(
                f"sg.id IN (SELECT ga.group_id FROM groups_groupassignment ga WHERE ga.association_id = {int(association_id)})"
            )
        if commune_id is not None:
            conditions.append(f"sg.commune_id = {int(commune_id)}")
        groups = "SELECT sg.id FROM groups_savingsgroup sg WHERE " + " AND ".join(conditions)
        return cls(groups, (int(commune_id),) if commune_id is not None and association_id is None else ())

    def members_sql(self) -> str:
        return (
            f"SELECT sm.member_id FROM groups_membership sm WHERE sm.group_id IN ({self.groups})"
            f" UNION SELECT cm.id FROM groups_member cm WHERE cm.commune_id IN ({_ids(self.communes)})"
        )

    def groups_filter(self, column: str) -> str:
        return f" AND {column} IN ({self.groups})"

    def where(self) -> str:
        """The keys the scope covers whole, over the key columns of `cube` or the store."""
        return f"(group_id IN ({self.groups}) OR (group_id IS NULL AND commune_id IN ({_ids(self.communes)})))"


CUBE_PART, BORROWER_PART = 0, 1


def stored_select(query: BookQuery) -> str:
    """`query`'s cube and borrower keys as the store holds them, in one statement (so the
    book is read once): rows of (part, the keys, borrower id, the figures of STORED_CUBE),
    part CUBE_PART carrying a cube row, BORROWER_PART a borrower. With a scope, only the
    keys it covers whole. The store inserts them; `rebuild_figures --check` compares them."""
    figures = (*STOCK_COLUMNS, *PERIOD_COLUMNS)
    periodless = {c: "0" for c in PERIOD_COLUMNS} if query.period is None else {}
    keys = ", ".join(STORED_KEYS)
    where = f" WHERE {query.scope.where()}" if query.scope is not None else ""
    cube = ", ".join(periodless.get(c, c) for c in figures)
    nulls = ", ".join("NULL" for _ in figures)
    return (
        f"{query._with()}\nSELECT {CUBE_PART} AS part, {keys}, CAST(NULL AS BIGINT) AS borrower_id, {cube}"
        f" FROM cube{where}\nUNION ALL\nSELECT {BORROWER_PART}, {keys}, borrower_id, {nulls} FROM borrower_keys{where}"
    )
