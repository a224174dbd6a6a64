"""python manage.py bench: the demo district at scale 1 and 10, loaded and timed.

Each scale goes into a fresh database beside the one DATABASE_URL names (PostgreSQL:
`<name>_bench1`, `<name>_bench10`; SQLite: `db/<name>_bench1.sqlite3`, ...), migrated,
then loaded with `seed_demo`. Loading and measuring run in child processes, so that one
scale's memory and connections never weigh on the next. Timings are medians; the table
compares the two scales. Benchmarks are not tests: nothing here runs under pytest.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

AS_OF = date(2019, 12, 31)
PERIOD = "2019Q4"
SCORECARD_YEAR = 2020  # the year of the pledge, the demo's last
REPAYMENT = 100_000  # đồng, on each benchmarked loan

# The floor: the one figure everything else is built around, computed as plainly as SQL
# allows. Entrusted outstanding by association at D: disbursed − repaid − written off
# (reversed rows and reversal rows left out), each loan attributed to its member's latest
# group joined by D and that group's association at D (its first one before that; one
# assignment per group and day).
FLOOR_SQL = """
WITH outstanding AS (
  SELECT t.loan_id,
    SUM(CASE WHEN t.kind = 'disbursement' THEN t.amount ELSE -t.amount END) AS amount
  FROM lending_loantransaction t
  WHERE t.kind IN ('disbursement', 'principal', 'principal_write_off')
    AND t.value_date <= %(d)s
    AND t.reverses_id IS NULL
    AND t.id NOT IN (SELECT r.reverses_id FROM lending_loantransaction r WHERE r.reverses_id IS NOT NULL)
  GROUP BY t.loan_id
),
member_group AS (
  SELECT ms.member_id, ms.group_id FROM groups_membership ms
  WHERE ms.joined_on <= %(d)s AND NOT EXISTS (
    SELECT 1 FROM groups_membership later
    WHERE later.member_id = ms.member_id AND later.joined_on <= %(d)s
      AND (later.joined_on > ms.joined_on OR (later.joined_on = ms.joined_on AND later.id > ms.id))
  )
),
group_association AS (
  SELECT ga.group_id, ga.association_id FROM groups_groupassignment ga
  WHERE NOT EXISTS (
    SELECT 1 FROM groups_groupassignment other
    WHERE other.group_id = ga.group_id AND (
      (other.effective_on <= %(d)s AND ga.effective_on > %(d)s)
      OR (other.effective_on <= %(d)s AND other.effective_on > ga.effective_on)
      OR (other.effective_on > %(d)s AND ga.effective_on > %(d)s AND other.effective_on < ga.effective_on)
    )
  )
)
SELECT ga.association_id, SUM(o.amount)
FROM outstanding o
JOIN lending_loan l ON l.id = o.loan_id
JOIN member_group mg ON mg.member_id = l.member_id
JOIN group_association ga ON ga.group_id = mg.group_id
WHERE l.channel = 'entrusted'
GROUP BY ga.association_id
"""


def floor() -> dict:
    """{association id: entrusted outstanding at AS_OF} through FLOOR_SQL."""
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"d": AS_OF})
        return dict(cursor.fetchall())


@contextmanager
def served(workers: int, timeout: int = 120):
    """gunicorn serving this database on a free port of 127.0.0.1, with `workers` sync
    workers and DEBUG off; yields the base URL and stops the server after. `timeout`:
    the seconds a request may take before its worker is killed (production's 120)."""
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # as production.py: DEBUG off, connections kept between requests
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "vbsp_district.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_CONN_MAX_AGE": "60",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        # a request may take as long as in production (docs/deploy.md) before its worker is killed
        [
            str(gunicorn),
            "vbsp_district.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            str(timeout),
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None:
                    raise CommandError("gunicorn không khởi động được.") from None
                time.sleep(0.1)
        else:
            raise CommandError("gunicorn không trả lời sau 30 s.")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def get_user_model_by_name(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


class Command(BaseCommand):
    help = "Đo hiệu năng: nạp dữ liệu mẫu quy mô 1 và 10 vào cơ sở dữ liệu mới, đo báo cáo và ghi sổ."

    def add_arguments(self, parser):
        parser.add_argument("--scales", type=int, nargs="+", default=[1, 10], help="các quy mô cần đo")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--runs", type=int, default=5, help="số lượt đo báo cáo và mức sàn (lấy trung vị)")
        parser.add_argument("--repayments", type=int, default=50, help="số lần thu nợ gốc được đo")
        parser.add_argument("--reuse", action="store_true", help="dùng lại cơ sở dữ liệu đo đã nạp, không nạp lại")
        parser.add_argument("--drop", action="store_true", help="xóa các cơ sở dữ liệu đo khi xong")
        # internal: one step in a child process, on the database of its DATABASE_URL
        parser.add_argument("--clients", type=int, default=10, help="số người dùng đồng thời khi đo các trang")
        parser.add_argument("--rounds", type=int, default=3, help="số lượt mỗi người dùng duyệt các trang")
        parser.add_argument("--step", choices=["load", "measure", "store", "browse", "report"], help="(nội bộ)")
        parser.add_argument("--out", help="(nội bộ) tệp JSON kết quả của bước")

    def handle(self, *args, step, **options):
        if step:
            result = getattr(self, f"step_{step}")(**options)
            Path(options["out"]).write_text(json.dumps(result), encoding="utf-8")
            return
        self.orchestrate(**options)

    # -- the parent: fresh databases, child processes, the table ------------------------
    def orchestrate(self, *, scales, seed, runs, repayments, reuse, drop, clients, rounds, **options):
        vendor = connection.vendor
        if vendor not in ("postgresql", "sqlite"):
            raise CommandError(f"Chưa hỗ trợ cơ sở dữ liệu {vendor}.")
        results = {}
        out_dir = Path(settings.BASE_DIR) / "bench-results"
        out_dir.mkdir(exist_ok=True)
        partial = out_dir / f"bench-{vendor}-partial.json"
        for scale in scales:
            url, label = self.bench_database(scale)
            self.say(f"Quy mô {scale}: {label}")
            loaded = reuse and self.bench_database_ready(scale)
            if not loaded:
                self.bench_database_create(scale)
                self.child(url, ["migrate", "--noinput", "-v", "0"])
                self.say("  nạp dữ liệu mẫu...")
                load = self.child_step(url, "load", ["--scales", str(scale), "--seed", str(seed)])
                self.say(f"  đã nạp trong {load['load_s']:.1f} s (bộ nhớ tối đa {_count(round(load['peak_mb']))} MB)")
            else:
                load = {"load_s": None, "peak_mb": None}
                self.say("  dùng lại dữ liệu đã nạp")
            # what is measured is kept as it comes: a run stopped midway loses nothing
            results[scale] = load | {"report_runs": [], "floor_runs": [], "load_averages": []}

            def keep(step_results, scale=scale):
                results[scale] |= step_results
                partial.write_text(json.dumps({"vendor": vendor, "results": results}, indent=2), encoding="utf-8")

            keep({})
            self.say("  đo cập nhật kỳ tính lãi, thu nợ...")
            keep(self.child_step(url, "measure", ["--repayments", str(repayments)]))
            self.say("  tính và lưu số liệu các kỳ đã kết thúc (rebuild_figures)...")
            keep(self.child_step(url, "store", []))
            self.say(f"  đo các trang với {clients} người dùng đồng thời...")
            keep(self.child_step(url, "browse", ["--clients", str(clients), "--rounds", str(rounds)]))
        # The report and the floor are timed in rounds that alternate the scales, so that
        # both scales see the same machine: on a shared one the load drifts by the minute.
        self.say(f"Đo báo cáo và mức sàn: {runs} lượt xen kẽ các quy mô...")
        for _round in range(runs):
            for scale in scales:
                timed = self.child_step(self.bench_database(scale)[0], "report", [])
                r = results[scale]
                r["report_runs"].append(timed["report_s"])
                r["floor_runs"].append(timed["floor_s"])
                r["load_averages"].append(timed["load_average"])
                r["report_queries"] = timed["report_queries"]
        for scale in scales:
            r = results[scale]
            r["report_s"] = statistics.median(r["report_runs"])
            r["floor_s"] = statistics.median(r["floor_runs"])
            r["load_average"] = statistics.mean(r["load_averages"])
            r["runs"] = runs
            if drop:
                self.bench_database_drop(scale)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        path = out_dir / f"bench-{vendor}-{stamp}.json"
        path.write_text(json.dumps({"vendor": vendor, "results": results}, indent=2), encoding="utf-8")
        self.stdout.write("")
        self.stdout.write(render_table(vendor, results))
        self.stdout.write(f"\nKết quả chi tiết: {path.relative_to(settings.BASE_DIR)}")

    def say(self, message: str):
        self.stdout.write(message)
        self.stdout.flush()

    def _base(self) -> tuple[str, str]:
        """The DATABASE_URL this run was given (or the default SQLite file) and its db name."""
        db = settings.DATABASES["default"]
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{db['NAME']}"
        name = Path(str(db["NAME"])).stem if connection.vendor == "sqlite" else str(db["NAME"])
        return url, name

    def bench_database(self, scale: int) -> tuple[str, str]:
        url, name = self._base()
        bench_name = f"{name}_bench{scale}"
        if connection.vendor == "sqlite":
            path = Path(settings.BASE_DIR) / "db" / f"{bench_name}.sqlite3"
            return f"sqlite:///{path}", str(path.relative_to(settings.BASE_DIR))
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"/{bench_name}")), f"PostgreSQL {bench_name}"

    def _pg_name(self, scale: int) -> str:
        return f"{self._base()[1]}_bench{scale}"

    def _sqlite_path(self, scale: int) -> Path:
        return Path(settings.BASE_DIR) / "db" / f"{self._base()[1]}_bench{scale}.sqlite3"

    def bench_database_ready(self, scale: int) -> bool:
        if connection.vendor == "sqlite":
            return self._sqlite_path(scale).exists()
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self._pg_name(scale)])
            return cursor.fetchone() is not None

    def bench_database_create(self, scale: int):
        self.bench_database_drop(scale)
        if connection.vendor == "sqlite":
            self._sqlite_path(scale).parent.mkdir(parents=True, exist_ok=True)
            return
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(self._pg_name(scale))}")

    def bench_database_drop(self, scale: int):
        if connection.vendor == "sqlite":
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self._sqlite_path(scale)}{suffix}").unlink(missing_ok=True)
            return
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(self._pg_name(scale))}")

    def child(self, url: str, arguments: list[str]):
        env = os.environ | {"DATABASE_URL": url}
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments]
        finished = subprocess.run(command, env=env, cwd=settings.BASE_DIR, check=False)
        if finished.returncode:
            raise CommandError(f"{' '.join(arguments[:1])} thất bại (mã {finished.returncode}).")

    def child_step(self, url: str, step: str, arguments: list[str]) -> dict:
        out = Path(settings.BASE_DIR) / "bench-results" / f".{step}-{os.getpid()}.json"
        try:
            self.child(url, ["bench", "--step", step, "--out", str(out), *arguments])
            return json.loads(out.read_text(encoding="utf-8"))
        finally:
            out.unlink(missing_ok=True)

    # -- the children ---------------------------------------------------------------------
    def step_load(self, *, scales, seed, **options) -> dict:
        from io import StringIO

        started = time.perf_counter()
        # the stored figures are built (and timed) by the store step
        call_command("seed_demo", scale=scales[0], seed=seed, force=True, without_figures=True, stdout=StringIO())
        return {"load_s": time.perf_counter() - started, "peak_mb": peak_memory_mb()}

    def step_measure(self, *, repayments, **options) -> dict:
        """Rows in the ledger, the floor checked against the report, the bills catch-up and
        the repayments."""
        from groups.models import Association
        from lending.models import InterestBill, LoanTransaction, SavingsTransaction
        from reporting.indicators import district_figures

        result = {
            "loan_transactions": LoanTransaction.objects.count(),
            "savings_transactions": SavingsTransaction.objects.count(),
            "interest_bills": InterestBill.objects.count(),
        }
        report = district_figures(AS_OF, PERIOD)
        codes = dict(Association.objects.values_list("pk", "code"))
        floor_figures = {codes[pk]: int(amount) for pk, amount in floor().items()}
        report_figures = {row["code"]: row["outstanding"] for row in report["by_association"]}
        if floor_figures != report_figures:
            raise CommandError(f"Mức sàn {floor_figures} khác báo cáo {report_figures}.")
        result["entrusted_outstanding"] = sum(floor_figures.values())
        result |= self.measure_bills_catch_up()
        result |= self.measure_repayments(repayments)
        return result

    def step_store(self, **options) -> dict:
        """The figures store: a full build, a 24-month series read from it, and back-dated
        repayments, each bringing the stored periods it changes up to date in its write."""
        from reporting import store
        from reporting.indicators import monthly_series
        from reporting.periods import Period

        started = time.perf_counter()
        built = store.build_all()
        build_s = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # a built store is read as the office's would be: after autovacuum has run
            with connection.cursor() as cursor:
                for table in ("reporting_periodcube", "reporting_periodborrower", "reporting_periodtotal"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        cube_rows, borrower_rows = store.stored_row_counts()
        months = [Period.month(AS_OF.year - (k < 12), (k % 12) + 1) for k in range(24)]
        series = {}
        for association in [None, *self.associations()]:
            monthly_series(months, "association", today=timezone.localdate(), association_id=association)
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                monthly_series(months, "association", today=timezone.localdate(), association_id=association)
                series[association] = (time.perf_counter() - started, len(queries))
        scorecard = self.measure_scorecard()
        last_month = store.ended_periods()[-1]
        recent = self.backdated_repayment(last_month.start + (last_month.end - last_month.start) // 2)
        far = self.backdated_repayment(date(AS_OF.year, 6, 28))
        return {
            "store_periods": len(built),
            "store_build_s": build_s,
            "store_rows": cube_rows + borrower_rows,
            "store_mb": self.store_megabytes(),
            "series_24_s": series[None][0],
            "series_24_queries": series[None][1],
            "series_24_association_s": max(elapsed for key, (elapsed, _) in series.items() if key is not None),
            **scorecard,
            "backdated_s": recent[0],
            "backdated_periods": recent[1],
            "backdated_far_s": far[0],
            "backdated_far_periods": far[1],
            # the periods each posting brought up to date, against the ledger: the recent
            # one's, and the first and last month, quarter and year of the far one's
            "store_check_clean": store.differences(recent[2] | far[2]) == [],
        }

    def measure_scorecard(self) -> dict:
        """The year's emulation scorecard (every target, unit and period) from the stored
        figures and grades, as `manage.py scorecard --format json` computes it (the command
        by name: the reporting app does not import the emulation app)."""
        from io import StringIO

        arguments = ["scorecard", "--year", str(SCORECARD_YEAR), "--format", "json"]
        call_command(*arguments, stdout=StringIO())  # warm: the first read of the store's pages
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            out = StringIO()
            call_command(*arguments, stdout=out)
            elapsed = time.perf_counter() - started
        return {
            "scorecard_s": elapsed,
            "scorecard_queries": len(queries),
            "scorecard_units": len(json.loads(out.getvalue())["units"]),
        }

    def associations(self) -> list[int]:
        from groups.models import Association

        return list(Association.objects.order_by("position").values_list("pk", flat=True))

    def store_megabytes(self) -> float | None:
        """The store's tables and indexes on disk."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT SUM(pg_total_relation_size(c)) FROM (VALUES ('reporting_periodcube'::regclass),"
                    " ('reporting_periodborrower'::regclass), ('reporting_storedperiod'::regclass)) t(c)"
                )
                return int(cursor.fetchone()[0]) / 2**20
            try:
                cursor.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'reporting_period%' OR name LIKE 'periodcube%'"
                    " OR name LIKE 'reporting_storedperiod%'"
                )
            except Exception:  # SQLite built without the dbstat table
                return None
            return int(cursor.fetchone()[0] or 0) / 2**20

    def backdated_repayment(self, day: date) -> tuple[float | None, int, set]:
        """A repayment dated `day` on an open loan, committed, with its bills and the
        stored periods it changes brought up to date: (seconds, periods brought up to
        date, the labels of the first and last of each kind)."""
        from django.contrib.auth import get_user_model

        from lending.models import Loan
        from lending.services import repayment_post
        from reporting.models import StoredPeriod

        user = get_user_model().objects.get(username="canbo")
        touched = StoredPeriod.objects.filter(end__gte=day).order_by("end")
        sample = set()
        for kind in StoredPeriod.Kind.values:
            labels = list(touched.filter(kind=kind).values_list("label", flat=True))
            sample |= {labels[0], labels[-1]} if labels else set()
        for loan in Loan.objects.filter(disbursed_on__lt=day, bills_through__gte=day).order_by("pk")[:50]:
            started = time.perf_counter()
            try:
                repayment_post(loan=loan, amount=REPAYMENT, value_date=day, acting_user=user)
            except ValidationError:
                continue  # paid off by then: the next loan
            return time.perf_counter() - started, touched.count(), sample
        return None, touched.count(), sample

    def step_browse(self, *, clients, rounds, **options) -> dict:
        """p50 and p95 of the browsing pages under `clients` concurrent clients, through
        gunicorn as the office serves the app (2 × CPUs + 1 workers), as the manager and
        an officer, at a month end and today; then, apart (the pages' figures stay
        comparable with earlier runs), the user's own dashboard and the follow-up list that
        it asks for by htmx once shown; and the largest commune's collection sheets in PDF,
        one request at a time (`measure_collection_pdf`)."""
        from django.test import Client

        from groups.models import Member, SavingsGroup
        from lending.models import Loan

        cookies = {}
        for username in ("quanly", "hpn"):
            client = Client()
            client.force_login(get_user_model_by_name(username))
            cookies[username] = client.cookies["sessionid"].value
        hpn_group = SavingsGroup.objects.filter(assignments__association__code="HPN").order_by("code").first()
        member = Member.objects.filter(memberships__group=hpn_group).order_by("national_id").first()
        loan = Loan.objects.filter(member=member).order_by("loan_no").first()
        pages = {
            "home": "/",
            "communes": "/communes/",
            "commune": f"/communes/{hpn_group.commune.code}/",
            "group": f"/groups/{hpn_group.code}/",
            "member": f"/members/{member.national_id}/",
            "loan": f"/loans/{loan.loan_no}/",
        }
        units = {"quanly": "district", "hpn": "HPN"}  # each user's own dashboard's unit
        htmx = {"HX-Request": "true"}
        # (key prefix, the user's paths, the request headers), measured one after the other
        measured = [
            ("browse", lambda username: list(pages.values()), {}),
            ("browse_dashboard", lambda username: ["/dashboard/"], {}),
            ("browse_follow_up", lambda username: [f"/dashboard/{units[username]}/follow-up/"], htmx),
        ]
        days = {"month_end": f"?date={AS_OF:%d/%m/%Y}", "today": ""}
        result = {}
        workers = 2 * (os.cpu_count() or 1) + 1
        with served(workers) as base:
            for prefix, paths, headers in measured:
                for username, cookie in cookies.items():
                    for day_name, query in days.items():
                        urls = [base + path + query for path in paths(username)]
                        times = self.browse_timed(
                            urls, cookie, headers, clients=clients, rounds=rounds, workers=workers
                        )
                        key = f"{prefix}_{username}_{day_name}"
                        result[f"{key}_p50"] = statistics.median(times)
                        result[f"{key}_p95"] = times[int(len(times) * 0.95) - 1]
            result |= self.measure_collection_pdf(base, cookies["quanly"])
        result["browse_clients"] = clients
        result["browse_workers"] = workers
        return result

    def measure_collection_pdf(self, base: str, cookie: str, runs: int = 3) -> dict:
        """The largest commune's collection sheets as one PDF, on its transaction day the
        month after AS_OF, as the manager prints them: one request at a time through the
        server (the median of `runs` after a warm-up), its pages and, in this process, its
        queries."""
        import re
        import urllib.request

        from django.db.models import Count
        from django.test import Client

        from groups.models import Commune, Membership
        from lending.selectors.transaction_day import transaction_day_in

        probe = date(AS_OF.year + 1, 1, 1)
        largest = (
            Membership.objects.in_force(probe)
            .values("group__commune_id")
            .annotate(members=Count("id"))
            .order_by("-members", "group__commune_id")
            .first()
        )
        commune = Commune.objects.get(pk=largest["group__commune_id"])
        day = transaction_day_in(commune, probe.year, probe.month)
        path = f"/transaction-day/{commune.code}/{day.isoformat()}/pdf/"
        request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={cookie}"})

        def fetch() -> bytes:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.read()

        fetch()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            pdf = fetch()
            times.append(time.perf_counter() - started)
        client = Client()
        client.force_login(get_user_model_by_name("quanly"))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, SERVER_NAME="127.0.0.1")
        if response.status_code != 200:
            raise CommandError(f"Trang lỗi khi đo: {response.status_code} {path}")
        return {
            "collection_pdf_s": statistics.median(times),
            "collection_pdf_pages": len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)),
            "collection_pdf_members": largest["members"],
            "collection_pdf_queries": len(queries),
        }

    def browse_timed(self, urls: list[str], cookie: str, headers: dict, *, clients, rounds, workers) -> list[float]:
        """Every request's seconds, sorted, when `clients` concurrent clients each go
        `rounds` times through `urls`, after a warm-up: every worker's first request of
        each url."""
        import threading

        for url in urls:
            for _ in range(workers):
                self.fetch(url, cookie, headers)
        times: list[float] = []
        errors: list[str] = []

        def client_loop():
            for _ in range(rounds):
                for url in urls:
                    started = time.perf_counter()
                    status = self.fetch(url, cookie, headers)
                    times.append(time.perf_counter() - started)
                    if status != 200:
                        errors.append(f"{status} {url}")

        threads = [threading.Thread(target=client_loop) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise CommandError(f"Trang lỗi khi đo: {errors[:3]}")
        return sorted(times)

    @staticmethod
    def fetch(url: str, cookie: str, headers: dict | None = None) -> int:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def step_report(self, **options) -> dict:
        """One round: the report, then the floor, each timed once after a warm-up run."""
        from reporting.indicators import district_figures
        from reporting.periods import Period

        period = Period.parse(PERIOD)
        district_figures(AS_OF, period)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            district_figures(AS_OF, period)
            report_s = time.perf_counter() - started
        floor()
        started = time.perf_counter()
        floor()
        floor_s = time.perf_counter() - started
        return {
            "report_s": report_s,
            "report_queries": len(queries),
            "floor_s": floor_s,
            "load_average": os.getloadavg()[0],
        }

    def measure_bills_catch_up(self) -> dict:
        """The first report after a long stretch without postings: the open loans' bills,
        stored through the demo's last day, extended to today in bulk.

        seed_demo has already brought them up to today, so the stretch is put back first
        (open loans' bills after 31/12/2020 removed) and everything is rolled back after.
        """
        from lending.demo.generator import END
        from lending.models import InterestBill, Loan
        from lending.services._bulk import chunks
        from lending.services.bills import ensure_bills_current

        with transaction.atomic():
            open_loans = list(
                Loan.objects.filter(bills_through__gt=END, bills_through__lt=date(9999, 12, 31)).values_list(
                    "pk", flat=True
                )
            )
            for chunk in chunks(open_loans):
                InterestBill.objects.filter(loan_id__in=chunk, billed_on__gt=END).delete()
                Loan.objects.filter(pk__in=chunk).update(bills_through=END)
            started = time.perf_counter()
            extended = ensure_bills_current(timezone.localdate())
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return {"bills_catch_up_s": elapsed, "bills_catch_up_loans": extended}

    def measure_repayments(self, count: int) -> dict:
        """`repayment_post` (with its bill rebuild) dated today on `count` open loans spread
        over the book, each committed: the bench database is a throwaway copy."""
        from django.contrib.auth import get_user_model

        from lending.models import Loan
        from lending.services import repayment_post

        user = get_user_model().objects.get(username="canbo")
        today = timezone.localdate()
        open_loans = list(
            Loan.objects.filter(bills_through__gte=today, bills_through__lt=date(9999, 12, 31))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        step = max(1, len(open_loans) // max(count, 1))
        times, queries = [], []
        for pk in open_loans[::step]:
            if len(times) == count:
                break
            loan = Loan.objects.get(pk=pk)
            started = time.perf_counter()
            try:
                with CaptureQueriesContext(connection) as captured:
                    repayment_post(loan=loan, amount=REPAYMENT, value_date=today, acting_user=user)
            except ValidationError:
                continue
            times.append(time.perf_counter() - started)
            queries.append(len(captured))
        if not times:
            raise CommandError("Không có món vay nào để đo thu nợ.")
        return {
            "repayment_s": statistics.median(times),
            "repayment_max_s": max(times),
            "repayment_count": len(times),
            "repayment_queries": round(statistics.median(queries)),
        }


def _seconds(value) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _ratio(a, b) -> str:
    if a is None or b in (None, 0):
        return "—"
    return f"{a / b:.2f}×"


def _count(value) -> str:
    return "—" if value is None else f"{value:,}".replace(",", ".")


# (label, value, format, whether the scale-to-scale ratio means something)
ROWS = [
    (
        "Sổ cái: giao dịch món vay + tiết kiệm",
        lambda r: r["loan_transactions"] + r["savings_transactions"],
        _count,
        True,
    ),
    ("Kỳ tính lãi đã lưu", lambda r: r["interest_bills"], _count, True),
    ("Nạp dữ liệu mẫu (seed_demo, cả lãi đến hôm nay)", lambda r: r["load_s"], _seconds, True),
    ("Bộ nhớ tối đa khi nạp (MB)", lambda r: round(r["peak_mb"]), _count, True),
    (f"Báo cáo quý {PERIOD} (trung vị)", lambda r: r["report_s"], _seconds, True),
    ("Số truy vấn của báo cáo", lambda r: r["report_queries"], _count, False),
    ("Mức sàn: dư nợ ủy thác theo hội (1 truy vấn)", lambda r: r["floor_s"], _seconds, True),
    ("Báo cáo / mức sàn", lambda r: r["report_s"] / r["floor_s"], lambda v: f"{v:.1f}×", False),
    ("Gia hạn kỳ tính lãi đến hôm nay", lambda r: r["bills_catch_up_s"], _seconds, True),
    ("  số món vay được gia hạn", lambda r: r["bills_catch_up_loans"], _count, True),
    ("Thu nợ gốc + tính lại lãi (trung vị)", lambda r: r["repayment_s"], _seconds, True),
    ("  chậm nhất", lambda r: r["repayment_max_s"], _seconds, True),
    ("  số truy vấn mỗi lần", lambda r: r["repayment_queries"], _count, False),
    ("Lưu số liệu mọi kỳ đã kết thúc (rebuild_figures)", lambda r: r["store_build_s"], _seconds, True),
    ("  số kỳ", lambda r: r["store_periods"], _count, False),
    ("  số dòng đã lưu", lambda r: r["store_rows"], _count, True),
    ("  dung lượng (MB)", lambda r: r["store_mb"], lambda v: f"{v:.1f}", True),
    ("Chuỗi 24 tháng của huyện, từ số liệu đã lưu", lambda r: r["series_24_s"], _seconds, True),
    ("  số truy vấn", lambda r: r["series_24_queries"], _count, False),
    ("Chuỗi 24 tháng của một hội (chậm nhất)", lambda r: r["series_24_association_s"], _seconds, True),
    (f"Bảng chỉ tiêu thi đua năm {SCORECARD_YEAR} (scorecard)", lambda r: r["scorecard_s"], _seconds, True),
    ("  số đơn vị", lambda r: r["scorecard_units"], _count, False),
    ("  số truy vấn", lambda r: r["scorecard_queries"], _count, False),
    ("Thu nợ lùi ngày về tháng trước, cả lãi và số liệu đã lưu", lambda r: r["backdated_s"], _seconds, True),
    ("  số kỳ đã lưu được cập nhật", lambda r: r["backdated_periods"], _count, False),
    (f"Thu nợ lùi ngày về 28/06/{AS_OF.year}", lambda r: r["backdated_far_s"], _seconds, True),
    ("  số kỳ đã lưu được cập nhật", lambda r: r["backdated_far_periods"], _count, False),
    (
        "Số liệu đã lưu khớp sổ sau đó (rebuild_figures --check)",
        lambda r: r["store_check_clean"],
        lambda v: "khớp" if v else "KHÁC",
        False,
    ),
    *(
        (f"{page}, {who} {when}, {p}", lambda r, k=f"{prefix}_{user}_{day}_{p}": r[k], _seconds, True)
        for prefix, page in (
            ("browse", "Trang"),
            ("browse_dashboard", "Bảng theo dõi"),
            ("browse_follow_up", "Danh sách cần theo dõi (htmx)"),
        )
        for user, who in (("quanly", "lãnh đạo"), ("hpn", "cán bộ hội"))
        for day, when in (("month_end", f"ngày {AS_OF:%d/%m/%Y}"), ("today", "hôm nay"))
        for p in ("p50", "p95")
    ),
    ("Bảng kê giao dịch của xã lớn nhất (PDF, một yêu cầu)", lambda r: r["collection_pdf_s"], _seconds, True),
    (
        "  số tổ viên / số trang",
        lambda r: (r["collection_pdf_members"], r["collection_pdf_pages"]),
        lambda v: "/".join(map(_count, v)),
        False,
    ),
    ("  số truy vấn", lambda r: r["collection_pdf_queries"], _count, False),
    ("Tải máy khi đo (load average 1 phút)", lambda r: r["load_average"], lambda v: f"{v:.1f}", False),
]


def render_table(vendor: str, results: dict) -> str:
    scales = sorted(results)
    header = ["", *(f"quy mô {s}" for s in scales)]
    ratio = len(scales) == 2
    if ratio:
        header.append(f"{scales[1]} / {scales[0]}")
    lines = [header]
    for label, get, fmt, compare in ROWS:
        values = []
        for s in scales:
            try:
                values.append(get(results[s]))
            except (KeyError, TypeError):
                values.append(None)
        line = [label, *(fmt(v) if v is not None else "—" for v in values)]
        if ratio:
            line.append(_ratio(values[1], values[0]) if compare else "")
        lines.append(line)
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    text = [f"Đo hiệu năng trên {vendor} (báo cáo {PERIOD} đến hết {AS_OF:%d/%m/%Y}):"]
    for n, line in enumerate(lines):
        cells = [str(line[0]).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        text.append("  ".join(cells).rstrip())
        if n == 0:
            text.append("  ".join("-" * w for w in widths))
    first = results[scales[0]]
    runs, count = first.get("runs", "?"), first.get("repayment_count", "?")
    text.append(
        f"Báo cáo và mức sàn: trung vị {runs} lượt xen kẽ các quy mô, mỗi lượt đo 1 lần sau 1 lần chạy khởi động; "
        "thu nợ gốc "
        f"{_count(REPAYMENT)} đồng ngày hôm nay trên {count} món vay khác nhau, mỗi lần ghi thật "
        "(vào cơ sở dữ liệu đo), sau khi kỳ tính lãi đã được gia hạn đến hôm nay."
    )
    if vendor == "postgresql" and len(scales) == 2 and scales == [1, 10]:
        one, ten = results[1], results[10]
        goals = [
            ("báo cáo quý ở quy mô 1 dưới 1 s", one["report_s"] < 1),
            ("báo cáo ở quy mô 10 không quá 10 lần quy mô 1", ten["report_s"] <= 10 * one["report_s"]),
            ("cùng số truy vấn ở hai quy mô", one["report_queries"] == ten["report_queries"]),
            (
                "thu nợ gốc + tính lại lãi dưới 50 ms ở cả hai quy mô",
                one["repayment_s"] < 0.05 and ten["repayment_s"] < 0.05,
            ),
        ]
        text.append("Mục tiêu:")
        text += [f"  [{'đạt' if ok else 'KHÔNG ĐẠT'}] {label}" for label, ok in goals]
    return "\n".join(text)
