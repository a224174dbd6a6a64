"""python manage.py load_test: branch staff posting at once, through the real server.

`--clients` simulated staff (50 by default) post repayments through the loan posting form
for `--seconds` (300), against gunicorn serving DATABASE_URL's database (PostgreSQL with
the demo district: the bench's `<name>_bench1`, for instance) on 127.0.0.1. Each client
loads the form, then posts it; some post the same form twice at once (a double click on
two tabs), and a fifth of the postings go to a few loans with little left to repay, so
that clients race for the same outstanding and some must be refused.

Afterwards, against the database:
- no server error (5xx) and no failed request;
- every accepted posting (answered by a redirect) is in the ledger exactly once, with
  its amount, under its form's reference; every refused one (the form again, with its
  error) is absent; the sums per loan equal what the clients were told;
- no loan's outstanding below zero;
- `rebuild_interest --check` and `rebuild_figures --check` are clean.
It prints p50 and p95 of the form loads and the postings, and exits 1 on any failure.
Benchmarks and load are not tests: nothing here runs under pytest. It writes real
postings: run it on a copy (the bench's database), never on the office's.
"""

import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from .bench import served

CONTESTED_SHARE = 0.2  # of the postings, on the loans with little left
DOUBLE_SUBMIT_SHARE = 0.1  # of the forms, posted twice at once
TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _request(url: str, cookies: dict, data: dict | None = None) -> tuple[int, str, dict, float]:
    """(status, body, the cookies set, seconds) of one GET, or POST with `data`."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Referer": url}
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


class Command(BaseCommand):
    help = "Nhiều cán bộ cùng ghi thu nợ qua máy chủ thật, rồi đối chiếu sổ cái (chạy trên bản sao dữ liệu)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--user", default="canbo", help="the staff account the clients post as")
        parser.add_argument("--without-checks", action="store_true", help="leave out rebuild_*--check at the end")

    def handle(self, *args, clients, seconds, seed, user, without_checks, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Chạy trên PostgreSQL (bản sao dữ liệu mẫu, ví dụ cơ sở dữ liệu đo của make bench).")
        today = timezone.localdate()
        rng = random.Random(seed)
        plenty, contested = self.loans(today)
        self.say(f"{len(plenty)} món vay còn nhiều dư nợ, {len(contested)} món vay còn ít (tranh nhau thu)")
        staff = get_user_model().objects.get(username=user)
        sessions = []
        for _ in range(clients):
            client = Client()
            client.force_login(staff)
            sessions.append(client.cookies["sessionid"].value)
        started_at = timezone.now()
        outcomes: list[dict] = []
        lock = threading.Lock()
        workers = 2 * 2 + 1

        def post_form(base, cookies, loan_no, amount) -> list[dict]:
            url = f"{base}/loans/{loan_no}/post/"
            status, page, set_cookies, load_s = _request(url, cookies)
            cookies.update(set_cookies)
            if status != 200:
                return [{"loan": loan_no, "status": status, "load_s": load_s, "phase": "load"}]
            token = TOKEN.search(page).group(1)
            form = {
                "csrfmiddlewaretoken": CSRF.search(page).group(1),
                "token": token,
                "kind": "principal",
                "value_date": f"{today:%d/%m/%Y}",
                "amount": str(amount),
                "reference": "",
            }
            twice = rng.random() < DOUBLE_SUBMIT_SHARE
            answers: list = []

            def send():
                answers.append(_request(url, dict(cookies), form))

            senders = [threading.Thread(target=send) for _ in range(2 if twice else 1)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
            found = []
            for status, body, _cookies, post_s in answers:
                refused = status == 200
                message = ""
                if refused:
                    errors = re.findall(r'class="invalid-feedback[^"]*">([^<]+)<|alert-danger[^>]*>\s*([^<]+)<', body)
                    message = next((a or b for a, b in errors if (a or b).strip()), "").strip()
                found.append(
                    {
                        "loan": loan_no,
                        "amount": amount,
                        "token": token,
                        "status": status,
                        "accepted": status == 302,
                        "refused": refused,
                        "message": message,
                        "load_s": load_s,
                        "post_s": post_s,
                        "twice": twice,
                        "phase": "post",
                    }
                )
            return found

        def client_loop(base, session):
            cookies = {"sessionid": session}
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if rng.random() < CONTESTED_SHARE and contested:
                    loan_no, outstanding = rng.choice(contested)
                    amount = rng.randint(max(outstanding // 4, 1000), max(outstanding // 2, 2000)) // 1000 * 1000
                else:
                    loan_no, _ = rng.choice(plenty)
                    amount = rng.randint(1, 20) * 1000
                try:
                    found = post_form(base, cookies, loan_no, max(amount, 1000))
                except Exception as error:  # noqa: BLE001 (a failed request is a finding)
                    found = [{"loan": loan_no, "status": None, "error": repr(error), "phase": "error"}]
                with lock:
                    outcomes.extend(found)

        self.say(f"{clients} người dùng ghi thu nợ trong {seconds} s qua gunicorn ({workers} tiến trình)...")
        with served(workers) as base:
            threads = [threading.Thread(target=client_loop, args=(base, s)) for s in sessions]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        result, problems = self.reconcile(outcomes, started_at)
        if not without_checks:
            for command in ("rebuild_interest", "rebuild_figures"):
                self.say(f"{command} --check ...")
                done = subprocess.run(
                    [sys.executable, "manage.py", command, "--check"],
                    cwd=settings.BASE_DIR,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                result[f"{command}_check"] = "sạch" if done.returncode == 0 else (done.stdout + done.stderr)[-500:]
                if done.returncode:
                    problems.append(f"{command} --check: {(done.stdout + done.stderr)[-300:]}")
        out = Path(settings.BASE_DIR) / "bench-results" / f"load-{timezone.localtime():%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(result | {"problems": problems}, indent=2, ensure_ascii=False), encoding="utf-8")
        for key, value in result.items():
            self.stdout.write(f"{key:40} {value}")
        self.stdout.write(f"Kết quả chi tiết: {out.relative_to(settings.BASE_DIR)}")
        if problems:
            for problem in problems[:20]:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} vấn đề.")
        self.say("Không có lỗi máy chủ; mọi khoản được nhận có đúng một lần trong sổ, mọi khoản bị từ chối không có.")

    def say(self, message: str):
        self.stdout.write(message)
        self.stdout.flush()

    def loans(self, today: date) -> tuple[list, list]:
        """Open loans with plenty left to repay, and the five with least left (from 50.000 đồng)."""
        from reporting.indicators import loan_figures

        figures = loan_figures(today)
        from lending.models import Loan

        numbers = dict(Loan.objects.filter(pk__in=list(figures)).values_list("pk", "loan_no"))
        plenty = sorted((numbers[pk], f["outstanding"]) for pk, f in figures.items() if f["outstanding"] >= 2_000_000)
        little = sorted(
            ((f["outstanding"], numbers[pk]) for pk, f in figures.items() if 50_000 <= f["outstanding"] < 2_000_000)
        )
        return plenty[:300], [(loan_no, outstanding) for outstanding, loan_no in little[:5]]

    def reconcile(self, outcomes: list[dict], started_at) -> tuple[dict, list[str]]:
        from lending.models import Loan, LoanTransaction
        from reporting.indicators import loan_figures

        problems = []
        posts = [o for o in outcomes if o["phase"] == "post"]
        errors = [o for o in outcomes if o["phase"] != "post" or o["status"] not in (200, 302)]
        for o in errors[:20]:
            problems.append(f"yêu cầu lỗi: {o}")
        by_token: dict = defaultdict(list)
        for o in posts:
            by_token[o["token"]].append(o)
        rows = defaultdict(list)
        for reference, loan_no, amount in LoanTransaction.objects.filter(
            reference__in=[f"WEB-{t}" for t in by_token], kind="principal"
        ).values_list("reference", "loan__loan_no", "amount"):
            rows[reference.removeprefix("WEB-")].append((loan_no, amount))
        told: Counter = Counter()
        booked: Counter = Counter()
        for token, answers in by_token.items():
            accepted = any(a["accepted"] for a in answers)
            found = rows.get(token, [])
            loan_no, amount = answers[0]["loan"], answers[0]["amount"]
            if accepted:
                told[loan_no] += amount
                if found != [(loan_no, amount)]:
                    problems.append(f"khoản được nhận {token} ({loan_no}, {amount}): trong sổ {found}")
            elif found:
                problems.append(f"khoản bị từ chối {token} ({loan_no}, {amount}) lại có trong sổ: {found}")
            if len({a["accepted"] for a in answers}) > 1:
                problems.append(f"hai lần gửi cùng biểu mẫu {token} nhận hai câu trả lời khác nhau")
        for found in rows.values():
            for loan_no, amount in found:
                booked[loan_no] += amount
        if told != booked:
            problems.append(f"tổng theo món vay khác nhau: {dict(told - booked)} / {dict(booked - told)}")
        today = timezone.localdate()
        contested = {o["loan"] for o in posts if o["refused"]}
        ids = list(Loan.objects.filter(loan_no__in=set(told) | contested).values_list("pk", flat=True))
        negative = [pk for pk, f in loan_figures(today, loan_ids=ids).items() if f["outstanding"] < 0]
        if negative:
            problems.append(f"dư nợ âm: {negative}")
        loads = sorted(o["load_s"] for o in posts)
        sends = sorted(o["post_s"] for o in posts)
        refusals = Counter(o["message"][:60] for o in posts if o["refused"])

        def p(values, q):
            return f"{values[min(len(values) - 1, int(len(values) * q))] * 1000:.0f} ms" if values else "—"

        result = {
            "biểu mẫu đã gửi": len(by_token),
            "lần gửi (cả gửi hai lần)": len(posts),
            "biểu mẫu gửi hai lần cùng lúc": sum(1 for a in by_token.values() if len(a) > 1),
            "được nhận": sum(1 for a in by_token.values() if any(x["accepted"] for x in a)),
            "bị từ chối": sum(1 for a in by_token.values() if not any(x["accepted"] for x in a)),
            "lý do từ chối": dict(refusals.most_common(3)),
            "lỗi máy chủ hoặc yêu cầu hỏng": len(errors),
            "tải biểu mẫu p50 / p95": f"{p(loads, 0.5)} / {p(loads, 0.95)}",
            "ghi sổ p50 / p95": f"{p(sends, 0.5)} / {p(sends, 0.95)}",
            "số tiền được nhận (đồng)": sum(told.values()),
            "trung bình mỗi giây (lần gửi)": round(
                len(posts) / max((timezone.now() - started_at).total_seconds(), 1), 1
            ),
            "median ghi sổ (ms)": round(statistics.median(sends) * 1000, 1) if sends else None,
        }
        return result, problems
