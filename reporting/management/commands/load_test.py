"""python manage.py load_test: branch staff posting at once, through the real server.

`--clients` simulated staff (50 by default) post for `--seconds` (300) against gunicorn
serving DATABASE_URL's database (PostgreSQL with the demo district: the bench's
`<name>_bench1`, for instance) on 127.0.0.1. Most clients post single repayments through
the loan posting form (load the form, post it); a share of them (`--sheet-share`, 0.3)
post the commune transaction day: they open a commune's collection sheet on its last
transaction day, take one group's form, type what its leader brought (mostly what the
sheet prefills, some less, some nothing, a little paid ahead, savings deposits) and post
the group. A tenth of the forms, single or sheet, are posted twice at once (a double click
on two tabs). A fifth of the single postings go to the loans with little left to repay of
a few groups, and a third of the sheets are those groups' sheets, collecting half of
those loans' outstanding: singles and sheets race for the same loans, and some must be
refused (a sheet all or nothing).

Afterwards, against the database:
- no server error (5xx) and no failed request;
- every accepted posting (answered by a redirect) is in the ledger exactly once, with its
  amount, under its form's reference (a sheet: every row it carried, and nothing else);
  every refused one (the form again, with its error) is absent; nothing else was posted;
  the sums per loan (principal, interest) and per member (savings) equal what the clients
  were told;
- no loan's outstanding below zero;
- `rebuild_interest --check` and `rebuild_figures --check` are clean.
It prints p50 and p95 of each kind of request, and exits 1 on any failure.
Benchmarks and load are not tests: nothing here runs under pytest. It writes real
postings: run it on a copy (the bench's database), never on the office's.
`restart_test` runs the same traffic with a PostgreSQL restart in the middle.
"""

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from html import unescape
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from .bench import served

CONTESTED_SHARE = 0.2  # of the single postings, on the loans with little left
DOUBLE_SUBMIT_SHARE = 0.1  # of the forms (single or sheet), posted twice at once
SHEET_SHARE = 0.3  # of the clients, posting transaction-day sheets
CONTESTED_GROUPS = 3  # groups whose small loans singles and sheets race for
CONTESTED_SHEET_SHARE = 0.3  # of the sheet pages, in those groups' communes
SHEET_GROUPS = 3  # groups posted from one sheet page
SHEET_HTMX_SHARE = 0.7  # of the groups, posted through htmx (the card swapped), the rest as a plain form
TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = re.compile(r"<form\b.*?</form>", re.S)
INPUT = re.compile(r"<input\b[^>]*>")
NAME = re.compile(r'\bname="([^"]*)"')
VALUE = re.compile(r'\bvalue="([^"]*)"')
SHEET_INPUT = re.compile(r"g\d+-([pidw])-(\d+)")
ROW_ERROR = re.compile(r'class="invalid-feedback[^"]*">([^<]+)<')
FORM_ERROR = re.compile(r"alert-danger[^>]*>\s*(?:<div>)?\s*([^<]+)<")
# The 503 page (templates/503.html), as a client must see it when the database is gone.
UNAVAILABLE_TEXT = "Không kết nối được cơ sở dữ liệu"
SHEET_LOAN_KINDS = {"p": ("principal", "P"), "i": ("interest", "I")}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _request(
    url: str, cookies: dict, data: dict | None = None, headers: dict | None = None
) -> tuple[int, str, dict, float]:
    """(status, body, the cookies set, seconds) of one GET, or POST with `data`."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Referer": url} | (headers or {})
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    started = time.perf_counter()
    try:
        response = _opener.open(urllib.request.Request(url, data=body, headers=headers), timeout=120)
        status, text, raw = response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:  # a redirect (not followed) or an error
        status, text, raw = error.code, error.read().decode(errors="replace"), error.headers
    elapsed = time.perf_counter() - started
    set_cookies = {}
    for header in raw.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        set_cookies[name.strip()] = rest.split(";", 1)[0]
    return status, text, set_cookies, elapsed


def _vn(amount: int) -> str:
    """1234567 → '1.234.567', as staff type it."""
    return f"{amount:,}".replace(",", ".")


def _money(text: str) -> int:
    return int(text.replace(".", "")) if text else 0


def _refusal(body: str) -> str:
    """The first message on a row (an amount), else the form's own."""
    found = [m for m in ROW_ERROR.findall(body) + FORM_ERROR.findall(body) if m.strip()]
    return unescape(found[0].strip()) if found else ""


def group_form(page: str, group_code: str) -> dict | None:
    """The inputs (name → value) of one group's form on a transaction-day sheet page."""
    marker = f'name="group" value="{group_code}"'
    for form in FORM.finditer(page):
        if marker in form.group(0):
            inputs = {}
            for tag in INPUT.findall(form.group(0)):
                name, value = NAME.search(tag), VALUE.search(tag)
                if name:
                    inputs[unescape(name.group(1))] = unescape(value.group(1)) if value else ""
            return inputs
    return None


@dataclass
class Plan:
    """What the clients post on, read once from the database before the load."""

    today: date
    plenty: list  # (loan no, outstanding): single repayments of a few thousand đồng
    contested: list  # (loan no, outstanding): the small loans of the contested groups
    communes: dict  # commune code → (its last transaction day, the codes of its active groups)
    contested_sheets: list  # (commune code, its last transaction day, group code) of the contested groups
    loan_nos: dict  # loan id → loan no
    national_ids: dict  # member id → national id
    outstanding: dict  # loan id → outstanding today, at the start


def plan_traffic(today: date) -> Plan:
    """Open loans with plenty left; the groups with the most loans with little left (from
    50.000 to 2.000.000 đồng), their small loans raced for; each active group with its
    commune's last transaction day on or before today."""
    from groups.models import Commune, Member, Membership, SavingsGroup
    from lending.models import Channel, Loan
    from lending.selectors.transaction_day import transaction_day_in
    from reporting.indicators import loan_figures
    from vbsp_district.core.months import month_add

    figures = loan_figures(today)
    loans = {
        pk: (loan_no, member_id)
        for pk, loan_no, member_id in Loan.objects.filter(channel=Channel.ENTRUSTED).values_list(
            "pk", "loan_no", "member_id"
        )
    }
    outstanding = {pk: f["outstanding"] for pk, f in figures.items() if pk in loans}
    group_of = dict(Membership.objects.in_force(today).values_list("member_id", "group_id"))
    days = {}
    for commune in Commune.objects.all():
        day = transaction_day_in(commune, today.year, today.month)
        days[commune.pk] = day if day <= today else transaction_day_in(commune, *month_add(today.year, today.month, -1))
    groups = {
        pk: (commune_code, commune_id, code)
        for pk, code, commune_id, commune_code in SavingsGroup.objects.active_on(today).values_list(
            "pk", "code", "commune_id", "commune__code"
        )
    }
    small = defaultdict(list)
    for pk, amount in outstanding.items():
        group = group_of.get(loans[pk][1])
        if 50_000 <= amount < 2_000_000 and group in groups:
            small[group].append((loans[pk][0], amount))
    contested_groups = sorted(small, key=lambda g: (-len(small[g]), g))[:CONTESTED_GROUPS]

    def sheet(pk):
        commune_code, commune_id, code = groups[pk]
        return commune_code, days[commune_id].isoformat(), code

    plenty = sorted((loans[pk][0], amount) for pk, amount in outstanding.items() if amount >= 2_000_000)
    return Plan(
        today=today,
        plenty=plenty[:300],
        contested=sorted(loan for g in contested_groups for loan in small[g]),
        communes={
            code: (day, sorted(g for c, d, g in map(sheet, groups) if c == code))
            for code, day in {sheet(pk)[:2] for pk in groups}
        },
        contested_sheets=sorted(sheet(pk) for pk in contested_groups),
        loan_nos={pk: loan_no for pk, (loan_no, _member) in loans.items()},
        national_ids=dict(Member.objects.values_list("pk", "national_id")),
        outstanding=outstanding,
    )


class Traffic:
    """The clients' work: each call loads a form, posts it (twice at once, sometimes) and
    returns what it was told, one outcome per answer."""

    def __init__(self, plan: Plan, rng: random.Random):
        self.plan, self.rng = plan, rng
        self.contested_loans = dict(plan.contested)

    def run_client(self, base: str, session: str, deadline: float, sheets: bool, outcomes: list, lock):
        cookies = {"sessionid": session}
        while time.monotonic() < deadline:
            kind = "sheet" if sheets else "single"
            started = time.monotonic()
            try:
                found = self.sheet(base, cookies) if sheets else self.single(base, cookies)
            except Exception as error:  # noqa: BLE001 (a failed request is a finding)
                found = [{"kind": kind, "phase": "error", "status": None, "error": repr(error), "at": started}]
            with lock:
                outcomes.extend(found)

    def _page(self, url: str, cookies: dict, kind: str) -> tuple[str | None, dict]:
        """GET a form's page: (its text if 200, the outcome)."""
        at = time.monotonic()
        status, page, set_cookies, load_s = _request(url, cookies)
        cookies.update(set_cookies)
        outcome = {"kind": kind, "phase": "page", "status": status, "load_s": load_s, "load_at": (at, at + load_s)}
        if status != 200:
            outcome["body"] = page[:2000]
        return (page if status == 200 else None), outcome

    def _post(self, url, cookies, form, base_outcome, htmx: bool = False) -> list[dict]:
        """POST a form (twice at once, sometimes): one outcome per answer. A plain post is
        accepted by a redirect; an htmx one (the sheet's) answers the group's card, with
        its success message when accepted."""
        twice = self.rng.random() < DOUBLE_SUBMIT_SHARE
        answers: list = []
        headers = {"HX-Request": "true"} if htmx else None

        def send():
            at = time.monotonic()
            answers.append((at, *_request(url, dict(cookies), form, headers)))

        senders = [threading.Thread(target=send) for _ in range(2 if twice else 1)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        found = []
        for at, status, body, _cookies, post_s in answers:
            accepted = status == 302 or (htmx and status == 200 and "alert-success" in body)
            refused = status == 200 and not accepted
            outcome = base_outcome | {
                "phase": "post",
                "status": status,
                "accepted": accepted,
                "refused": refused,
                "message": _refusal(body) if refused else "",
                "post_s": post_s,
                "post_at": (at, at + post_s),
                "twice": twice,
                "htmx": htmx,
            }
            if status >= 500:
                outcome["body"] = body[:2000]
            found.append(outcome)
        return found

    def single(self, base: str, cookies: dict) -> list[dict]:
        rng = self.rng
        if rng.random() < CONTESTED_SHARE and self.plan.contested:
            loan_no, outstanding = rng.choice(self.plan.contested)
            amount = rng.randint(max(outstanding // 4, 1000), max(outstanding // 2, 2000)) // 1000 * 1000
        else:
            loan_no, _ = rng.choice(self.plan.plenty)
            amount = rng.randint(1, 20) * 1000
        amount = max(amount, 1000)
        url = f"{base}/loans/{urllib.parse.quote(loan_no)}/post/"
        page, loaded = self._page(url, cookies, "single")
        if page is None:
            return [loaded]
        token = TOKEN.search(page).group(1)
        form = {
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
            "token": token,
            "kind": "principal",
            "value_date": f"{self.plan.today:%d/%m/%Y}",
            "amount": str(amount),
            "reference": "",
        }
        rows = [("loan", loan_no, f"WEB-{token}", "principal", amount)]
        return [
            loaded,
            *self._post(url, cookies, form, {"kind": "single", "loan": loan_no, "token": token, "rows": rows}),
        ]

    def sheet(self, base: str, cookies: dict) -> list[dict]:
        """A commune's sheet page loaded once, then a few of its groups posted from it, one
        after the other, as a person at the transaction day does (through htmx, mostly)."""
        rng, plan = self.rng, self.plan
        if plan.contested_sheets and rng.random() < CONTESTED_SHEET_SHARE:
            commune, _day, first = rng.choice(plan.contested_sheets)
        else:
            commune = rng.choice(sorted(plan.communes))
            first = None
        day, codes = plan.communes[commune]
        others = [code for code in codes if code != first]
        groups = ([first] if first else []) + rng.sample(others, min(len(others), SHEET_GROUPS - bool(first)))
        url = f"{base}/transaction-day/{urllib.parse.quote(commune)}/{day}/"
        page, loaded = self._page(url, cookies, "sheet")
        found = [loaded]
        if page is None:
            return found
        for group in groups:
            inputs = group_form(page, group)
            if inputs is None:  # nothing on the group's sheet: no form to post
                found.append({"kind": "sheet", "phase": "empty", "status": 200, "group": group})
                continue
            form, rows, token = self.fill(inputs)
            outcome = {"kind": "sheet", "group": group, "token": token, "rows": rows}
            found += self._post(url, cookies, form, outcome, htmx=rng.random() < SHEET_HTMX_SHARE)
        return found

    def fill(self, inputs: dict) -> tuple[dict, list, str]:
        """What the group leader brought: the form's inputs filled, the rows they make."""
        rng, plan = self.rng, self.plan
        token_name = next(name for name in inputs if name.endswith("-token"))
        token = inputs[token_name]
        form, rows = dict(inputs), []
        for name, value in inputs.items():
            match = SHEET_INPUT.fullmatch(name)
            if not match:
                continue
            short, pk = match.group(1), int(match.group(2))
            prefilled = _money(value)
            if short == "p":
                loan_no = plan.loan_nos[pk]
                chance = rng.random()
                if loan_no in self.contested_loans:  # half of what was left at the start
                    amount = self.contested_loans[loan_no] // 2 // 1000 * 1000 if chance < 0.7 else prefilled
                elif prefilled:  # what was due, mostly; sometimes half, sometimes nothing
                    amount = prefilled if chance < 0.7 else (prefilled // 2 // 1000 * 1000 if chance < 0.8 else 0)
                else:  # a little paid ahead on a loan with plenty left
                    amount = rng.randint(1, 5) * 10_000 if chance < 0.05 and plan.outstanding[pk] >= 2_000_000 else 0
            elif short == "i":
                amount = prefilled if rng.random() < 0.9 else 0
            elif short == "d":
                amount = rng.randint(1, 10) * 10_000 if rng.random() < 0.2 else 0
            else:
                amount = 0
            form[name] = _vn(amount) if amount else ""
            if amount:
                rows.append(self._row(short, pk, token, amount))
        if not rows:  # the leader brought at least one member's savings
            name = next(name for name in inputs if SHEET_INPUT.fullmatch(name) and name.split("-")[1] == "d")
            form[name] = _vn(50_000)
            rows.append(self._row("d", int(name.rsplit("-", 1)[1]), token, 50_000))
        return form, rows, token

    def _row(self, short: str, pk: int, token: str, amount: int) -> tuple:
        if short in SHEET_LOAN_KINDS:
            kind, letter = SHEET_LOAN_KINDS[short]
            loan_no = self.plan.loan_nos[pk]
            return ("loan", loan_no, f"GD-{token}-{loan_no}-{letter}", kind, amount)
        kind, sign = ("deposit", "+") if short == "d" else ("withdrawal", "-")
        return ("savings", self.plan.national_ids[pk], f"GD-{token}-S{sign}", kind, amount)


def staff_sessions(user: str, clients: int) -> list[str]:
    staff = get_user_model().objects.get(username=user)
    sessions = []
    for _ in range(clients):
        client = Client()
        client.force_login(staff)
        sessions.append(client.cookies["sessionid"].value)
    return sessions


def run_traffic(traffic: Traffic, base: str, sessions: list[str], seconds: float, sheet_share: float) -> list[dict]:
    """Every client at once until `seconds` have passed; the outcomes of all."""
    outcomes: list[dict] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    sheet_clients = round(len(sessions) * sheet_share)
    threads = [
        threading.Thread(target=traffic.run_client, args=(base, s, deadline, i < sheet_clients, outcomes, lock))
        for i, s in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _token_of(reference: str | None) -> str | None:
    if not reference:
        return None
    if reference.startswith("WEB-"):
        return reference[4:]
    if reference.startswith("GD-"):
        return reference[3:].split("-", 1)[0]
    return None


def percentile(values: list, q: float) -> str:
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(len(values) * q))] * 1000:.0f} ms" if values else "—"


def reconcile(outcomes: list[dict], started_at, *, unavailable_allowed: bool = False) -> tuple[dict, list[str]]:
    """The ledger against what the clients were told (see the module's docstring).

    With `unavailable_allowed` (a database restart), a form answered only by the 503 page
    may be absent or whole, never partial; every other rule holds.
    """
    from lending.models import Loan, LoanTransaction, SavingsTransaction
    from reporting.indicators import loan_figures

    problems = []
    posts = [o for o in outcomes if o["phase"] == "post"]
    unavailable = {503} if unavailable_allowed else set()
    ok = {"page": {200} | unavailable, "post": {200, 302} | unavailable, "empty": {200}}
    errors = [o for o in outcomes if o["status"] not in ok.get(o["phase"], ())]
    for o in errors[:20]:
        problems.append(f"yêu cầu lỗi: { {k: v for k, v in o.items() if k != 'rows'} }")
    by_token: dict = defaultdict(list)
    for o in posts:
        by_token[o["token"]].append(o)
    # Everything posted since the start, by the token of its reference.
    found: dict = defaultdict(Counter)
    stray = []
    for model, owner in ((LoanTransaction, "loan__loan_no"), (SavingsTransaction, "member__national_id")):
        label = "loan" if model is LoanTransaction else "savings"
        for reference, key, kind, amount in model.objects.filter(recorded_at__gte=started_at).values_list(
            "reference", owner, "kind", "amount"
        ):
            token = _token_of(reference)
            if token in by_token:
                found[token][(label, key, reference, kind, amount)] += 1
            else:
                stray.append((label, key, reference, kind, amount))
    if stray:
        problems.append(f"{len(stray)} bút toán không có người dùng nào được báo: {stray[:5]}")
    told: Counter = Counter()
    booked: Counter = Counter()
    landed_unanswered = absent_unanswered = 0
    for token, answers in by_token.items():
        expected = Counter(tuple(row) for row in answers[0]["rows"])
        accepted = any(a["accepted"] for a in answers)
        refused = all(a["refused"] for a in answers)
        rows = found.get(token, Counter())
        kind = answers[0]["kind"]
        if accepted:
            for label, key, _reference, row_kind, amount in expected:
                told[(label, key, row_kind)] += amount
            if rows != expected:
                problems.append(f"{kind} được nhận {token}: gửi {sorted(expected)}, trong sổ {sorted(rows)}")
        elif refused:
            if rows:
                problems.append(f"{kind} bị từ chối {token} lại có trong sổ: {sorted(rows)}")
        elif not rows:  # only the 503 page (or a failed request): nothing written
            absent_unanswered += 1
        elif rows == expected:  # the commit landed as the connection went: whole
            landed_unanswered += 1
            for label, key, _reference, row_kind, amount in expected:
                told[(label, key, row_kind)] += amount
        else:
            problems.append(f"{kind} {token} không có câu trả lời mà ghi dở dang: {sorted(rows)}")
        if accepted and any(a["refused"] for a in answers):
            problems.append(f"hai lần gửi cùng biểu mẫu {token} nhận hai câu trả lời khác nhau")
    for rows in found.values():
        for (label, key, _reference, row_kind, amount), count in rows.items():
            booked[(label, key, row_kind)] += amount * count
    if told != booked:
        problems.append(f"tổng theo món vay, tổ viên khác nhau: {dict(told - booked)} / {dict(booked - told)}")
    today = timezone.localdate()
    touched = {key for label, key, _kind in booked if label == "loan"} | {
        row[1] for o in posts for row in o["rows"] if row[0] == "loan"
    }
    ids = list(Loan.objects.filter(loan_no__in=touched).values_list("pk", flat=True))
    negative = [pk for pk, f in loan_figures(today, loan_ids=ids).items() if f["outstanding"] < 0]
    if negative:
        problems.append(f"dư nợ âm: {negative}")

    result = {}
    for kind, label in (("single", "thu nợ lẻ"), ("sheet", "tờ kê ngày giao dịch")):
        mine = {t: a for t, a in by_token.items() if a[0]["kind"] == kind}
        sent = [o for o in posts if o["kind"] == kind]
        loads = [o["load_s"] for o in outcomes if o["kind"] == kind and "load_s" in o]
        sends = [o["post_s"] for o in sent]
        result |= {
            f"{label}: biểu mẫu đã gửi": len(mine),
            f"{label}: lần gửi (cả gửi hai lần)": len(sent),
            f"{label}: gửi hai lần cùng lúc": sum(1 for a in mine.values() if len(a) > 1),
            f"{label}: được nhận": sum(1 for a in mine.values() if any(x["accepted"] for x in a)),
            f"{label}: bị từ chối": sum(1 for a in mine.values() if all(x["refused"] for x in a)),
            f"{label}: lý do từ chối": dict(Counter(o["message"][:70] for o in sent if o["refused"]).most_common(3)),
            f"{label}: tải trang p50 / p95": f"{percentile(loads, 0.5)} / {percentile(loads, 0.95)}",
            f"{label}: ghi sổ p50 / p95": f"{percentile(sends, 0.5)} / {percentile(sends, 0.95)}",
        }
    sheet_rows = [row for a in by_token.values() if a[0]["kind"] == "sheet" for row in a[0]["rows"]]
    contested_loans = {o["loan"] for o in posts if o["kind"] == "single" and o["refused"]}
    result |= {
        "tờ kê: dòng trên các tờ kê được nhận": sum(
            len(a[0]["rows"]) for a in by_token.values() if a[0]["kind"] == "sheet" and any(x["accepted"] for x in a)
        ),
        "món vay vừa có thu lẻ vừa có tờ kê": len(
            {row[1] for row in sheet_rows if row[0] == "loan"}
            & {row[1] for o in posts if o["kind"] == "single" for row in o["rows"]}
        ),
        "món vay có thu lẻ bị từ chối": len(contested_loans),
        "tờ kê không có gì để thu (bỏ qua)": sum(1 for o in outcomes if o["phase"] == "empty"),
        "lỗi máy chủ hoặc yêu cầu hỏng": len(errors),
        "số tiền được nhận (đồng)": sum(told.values()),
        "trong đó thu gốc (đồng)": sum(v for (label, _k, kind), v in told.items() if kind == "principal"),
        "lần gửi mỗi giây": round(len(posts) / max((timezone.now() - started_at).total_seconds(), 1), 1),
    }
    if unavailable_allowed:
        result |= {
            "biểu mẫu chỉ nhận trang 503, không có trong sổ": absent_unanswered,
            "biểu mẫu chỉ nhận trang 503, đã ghi trọn vẹn": landed_unanswered,
        }
    return result, problems


def run_checks(result: dict, problems: list):
    """rebuild_interest --check and rebuild_figures --check, each in its own process, with
    the time each took."""
    for command in ("rebuild_interest", "rebuild_figures"):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "manage.py", command, "--check"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        clean = f"sạch ({elapsed:.0f} s)"
        result[f"{command} --check"] = clean if done.returncode == 0 else (done.stdout + done.stderr)[-500:]
        if done.returncode:
            problems.append(f"{command} --check: {(done.stdout + done.stderr)[-300:]}")


def write_result(name: str, result: dict, problems: list, extra: dict | None = None) -> Path:
    out = Path(settings.BASE_DIR) / "bench-results" / f"{name}-{timezone.localtime():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(result | {"problems": problems} | (extra or {}), indent=2, ensure_ascii=False, default=str),
        encoding="utf-8",
    )
    return out


def finish(command: BaseCommand, name: str, result: dict, problems: list, *, width: int, success: str):
    """The run's end, as the load and fault commands give it: the result on screen and in
    bench-results/, then each problem and status 1, or `success`."""
    out = write_result(name, result, problems)
    for key, value in result.items():
        command.stdout.write(f"{key:{width}} {value}")
    command.stdout.write(f"Kết quả chi tiết: {out.relative_to(settings.BASE_DIR)}")
    if problems:
        for problem in problems[:20]:
            command.stderr.write(problem)
        raise CommandError(f"{len(problems)} vấn đề.")
    command.stdout.write(success)


def gunicorn_workers() -> int:
    return 2 * (os.cpu_count() or 2) + 1


class Command(BaseCommand):
    help = (
        "Nhiều cán bộ cùng ghi thu nợ lẻ và tờ kê ngày giao dịch qua máy chủ thật, rồi đối chiếu sổ cái "
        "(chạy trên bản sao dữ liệu)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--sheet-share", type=float, default=SHEET_SHARE, help="phần người dùng ghi tờ kê")
        parser.add_argument("--user", default="canbo", help="the staff account the clients post as")
        parser.add_argument("--without-checks", action="store_true", help="leave out rebuild_*--check at the end")

    def handle(self, *args, clients, seconds, seed, sheet_share, user, without_checks, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Chạy trên PostgreSQL (bản sao dữ liệu mẫu, ví dụ cơ sở dữ liệu đo của make bench).")
        plan = plan_traffic(timezone.localdate())
        self.say(
            f"{len(plan.plenty)} món vay còn nhiều dư nợ; {len(plan.contested)} món vay còn ít của "
            f"{len(plan.contested_sheets)} tổ (thu lẻ và tờ kê tranh nhau); {sum(len(g) for _d, g in plan.communes.values())} tổ có tờ kê"
        )
        sessions = staff_sessions(user, clients)
        started_at = timezone.now()
        workers = gunicorn_workers()
        sheet_clients = round(clients * sheet_share)
        self.say(
            f"{clients} người dùng ({sheet_clients} ghi tờ kê, {clients - sheet_clients} thu nợ lẻ) "
            f"trong {seconds} s qua gunicorn ({workers} tiến trình)..."
        )
        with served(workers) as base:
            outcomes = run_traffic(Traffic(plan, random.Random(seed)), base, sessions, seconds, sheet_share)
        result, problems = reconcile(outcomes, started_at)
        if not without_checks:
            self.say("rebuild_interest --check, rebuild_figures --check ...")
            run_checks(result, problems)
        finish(
            self,
            "load",
            result,
            problems,
            width=48,
            success="Không có lỗi máy chủ; mọi khoản được nhận có đúng một lần trong sổ, mọi khoản bị từ chối không có.",
        )

    def say(self, message: str):
        self.stdout.write(message)
        self.stdout.flush()
