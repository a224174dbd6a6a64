"""python manage.py restart_test: PostgreSQL restarted under load, through the real server.

The traffic of `load_test` (single repayments and transaction-day sheets, double submits,
races for the same loans) runs for `--seconds` (90) against gunicorn; after
`--restart-after` seconds (30) the PostgreSQL cluster is restarted (`pg_ctlcluster 15 main
restart -m fast`: every connection is cut, the statements in flight fail, new connections
are refused for a moment). gunicorn is never restarted. Then:
- every request the restart broke answered 503 with the Vietnamese page (templates/503.html),
  never a traceback, never another 5xx, never a dropped connection;
- the app recovered on its own: no 503 later than `--grace` (10) seconds after the restart
  returned, and requests succeed again (the time until the first success and until
  /healthz/ answers are reported);
- no partial rows: the ledger reconciled as `load_test` does, a form answered only by the
  503 page being absent or whole;
- `rebuild_interest --check` and `rebuild_figures --check` are clean.
Exits 1 on any failure. The cluster is started again at the end whatever happened.

Restarting PostgreSQL cuts every other connection on the machine: before the load and again
before the restart the command waits (polling every 30 s, up to `--wait-minutes`, 20) until
no test database (`test_%`, and the databases of other runs named by `--wait-for`) is in
use, and gives up without restarting if one still is. It writes real
postings: run it on a copy (the bench's database), never on the office's.
"""

import random
import subprocess
import threading
import time
import urllib.request

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.utils import timezone

from .bench import served
from .load_test import (
    SHEET_SHARE,
    UNAVAILABLE_TEXT,
    Traffic,
    finish,
    gunicorn_workers,
    plan_traffic,
    reconcile,
    run_checks,
    run_traffic,
    staff_sessions,
)

BUSY_SQL = (
    "SELECT datname, count(*) FROM pg_stat_activity WHERE datname LIKE ANY(%s) AND pid <> pg_backend_pid() "
    "GROUP BY 1 ORDER BY 1"
)
POLL_SECONDS = 30


class Command(BaseCommand):
    help = "Khởi động lại PostgreSQL khi đang có tải: trang 503, không ghi dở dang, ứng dụng tự phục hồi."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=90)
        parser.add_argument("--restart-after", type=int, default=30, help="giây chạy tải trước khi khởi động lại")
        parser.add_argument("--mode", default="fast", choices=["fast", "immediate"], help="pg_ctlcluster -m")
        parser.add_argument("--cluster", nargs=2, default=["15", "main"], metavar=("VERSION", "NAME"))
        parser.add_argument("--grace", type=float, default=10.0, help="giây sau khi khởi động lại còn cho phép 503")
        parser.add_argument("--wait-minutes", type=float, default=20.0)
        parser.add_argument(
            "--wait-for",
            nargs="+",
            default=["test_%"],
            help="databases (LIKE patterns) whose use holds the restart back: the test databases, and any other run's",
        )
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--sheet-share", type=float, default=SHEET_SHARE)
        parser.add_argument("--user", default="canbo")
        parser.add_argument("--without-checks", action="store_true")

    def handle(self, *args, clients, seconds, restart_after, mode, cluster, grace, wait_minutes, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Chạy trên PostgreSQL (bản sao dữ liệu mẫu, ví dụ cơ sở dữ liệu đo của make bench).")
        if not 0 < restart_after < seconds:
            raise CommandError("--restart-after phải nằm trong khoảng thời gian chạy tải.")
        self.cluster, self.wait_minutes, self.wait_for = cluster, wait_minutes, options["wait_for"]
        plan = plan_traffic(timezone.localdate())
        sessions = staff_sessions(options["user"], clients)
        self.wait_until_quiet(wait_minutes)
        try:
            self.run(plan, sessions, clients, seconds, restart_after, mode, grace, options)
        finally:
            self.ensure_running()

    def run(self, plan, sessions, clients, seconds, restart_after, mode, grace, options):
        started_at = timezone.now()
        workers = gunicorn_workers()
        restart: dict = {}
        self.say(
            f"{clients} người dùng trong {seconds} s qua gunicorn ({workers} tiến trình); "
            f"khởi động lại PostgreSQL (-m {mode}) sau {restart_after} s..."
        )
        with served(workers) as base:
            traffic = Traffic(plan, random.Random(options["seed"]))
            outcomes: list = []
            clients_thread = threading.Thread(
                target=lambda: outcomes.extend(run_traffic(traffic, base, sessions, seconds, options["sheet_share"]))
            )
            began = time.monotonic()
            clients_thread.start()
            time.sleep(restart_after)
            restart = self.restart(base, mode, deadline=began + seconds - 15)
            clients_thread.join()
            healthz_after = self.healthz(base)
        connections.close_all()  # this process's own connection went with the restart
        self.ensure_running()
        result, problems = reconcile(outcomes, started_at, unavailable_allowed=True)
        result = self.judge(outcomes, restart, grace, problems) | {"/healthz/ sau cùng": healthz_after} | result
        if not options["without_checks"]:
            self.say("rebuild_interest --check, rebuild_figures --check ...")
            run_checks(result, problems)
        finish(
            self,
            "restart",
            result,
            problems,
            width=52,
            success="Mọi yêu cầu hỏng vì khởi động lại nhận trang 503; không ghi dở dang; ứng dụng tự phục hồi.",
        )

    # -- the restart ------------------------------------------------------------------------
    def busy(self) -> list:
        try:
            with connection.cursor() as cursor:
                cursor.execute(BUSY_SQL, [self.wait_for])
                return cursor.fetchall()
        finally:
            connection.close()

    def wait_until_quiet(self, minutes: float, deadline: float | None = None):
        """Until no test database (nor another `--wait-for` one) is in use: a restart would cut its runs."""
        give_up = time.monotonic() + minutes * 60
        if deadline is not None:
            give_up = min(give_up, deadline)
        while busy := self.busy():
            if time.monotonic() + POLL_SECONDS > give_up:
                raise CommandError(
                    f"Cơ sở dữ liệu thử nghiệm (hoặc --wait-for) đang được dùng, không khởi động lại PostgreSQL: {busy}"
                )
            self.say(f"Cơ sở dữ liệu thử nghiệm (hoặc --wait-for) đang được dùng {busy}; chờ {POLL_SECONDS} s...")
            time.sleep(POLL_SECONDS)

    def restart(self, base: str, mode: str, deadline: float) -> dict:
        self.wait_until_quiet(self.wait_minutes, deadline=deadline)
        version, name = self.cluster
        self.say(f"pg_ctlcluster {version} {name} restart -m {mode}")
        prober = _HealthProbe(base)
        began = time.monotonic()
        prober.start()
        done = subprocess.run(
            ["pg_ctlcluster", version, name, "restart", "-m", mode], capture_output=True, text=True, check=False
        )
        returned = time.monotonic()
        prober.restarted.set()
        prober.join(timeout=120)
        self.say(
            f"  xong sau {returned - began:.1f} s (mã {done.returncode}); /healthz/ lại ok sau {prober.ok_after} s"
        )
        return {
            "began": began,
            "returned": returned,
            "returncode": done.returncode,
            "output": (done.stdout + done.stderr)[-500:],
            "healthz_ok_after": prober.ok_after,
            "healthz_503": prober.unavailable,
        }

    def cluster_running(self) -> bool:
        version, name = self.cluster
        return (
            subprocess.run(["pg_ctlcluster", version, name, "status"], capture_output=True, check=False).returncode == 0
        )

    def ensure_running(self):
        if self.cluster_running():
            return
        version, name = self.cluster
        self.stderr.write(f"PostgreSQL {version}/{name} không chạy: khởi động lại.")
        subprocess.run(["pg_ctlcluster", version, name, "start"], check=False)
        if not self.cluster_running():
            raise CommandError(f"Không khởi động được PostgreSQL {version}/{name}.")

    def healthz(self, base: str) -> str:
        try:
            return urllib.request.urlopen(f"{base}/healthz/", timeout=10).read().decode().strip()
        except OSError as error:
            return repr(error)

    # -- what the clients saw ---------------------------------------------------------------
    def judge(self, outcomes: list, restart: dict, grace: float, problems: list) -> dict:
        """The 503 answers: each the page, all within the restart; requests succeed after."""
        if restart.get("returncode"):
            problems.append(f"pg_ctlcluster restart thất bại: {restart.get('output')}")
        began, returned = restart["began"], restart["returned"]
        answers = []  # (start, end, status, body, what)
        for o in outcomes:
            if o["phase"] == "page":
                answers.append((*o["load_at"], o["status"], o.get("body", ""), f"{o['kind']} tải"))
            if o["phase"] == "post":
                answers.append((*o["post_at"], o["status"], o.get("body", ""), f"{o['kind']} ghi"))
        unavailable = [a for a in answers if a[2] == 503]
        for start, _end, _status, body, what in unavailable:
            if UNAVAILABLE_TEXT not in body or "Traceback" in body:
                problems.append(f"503 không phải trang 503 ({what}): {body[:300]}")
            if start > returned + grace:
                problems.append(f"503 lúc +{start - began:.1f} s, sau khi PostgreSQL đã chạy lại {grace} s ({what})")
        after = [a for a in answers if a[0] > began and a[2] in (200, 302)]
        if not after:
            problems.append("không có yêu cầu nào thành công sau khi khởi động lại")
        late = [a for a in answers if a[0] > returned + grace]
        by_what: dict = {}
        for *_times, what in unavailable:
            by_what[what] = by_what.get(what, 0) + 1
        return {
            "khởi động lại PostgreSQL (s)": round(returned - began, 2),
            "yêu cầu trả 503": len(unavailable),
            "503 theo loại": by_what,
            "503 đầu tiên / cuối cùng (s sau khi bắt đầu khởi động lại)": (
                f"{min(a[0] for a in unavailable) - began:+.2f} / {max(a[1] for a in unavailable) - began:+.2f}"
                if unavailable
                else "—"
            ),
            "yêu cầu thành công đầu tiên bắt đầu sau khởi động lại (s)": (
                round(min(a[1] for a in after) - began, 2) if after else None
            ),
            "/healthz/ ok lại sau (s)": restart.get("healthz_ok_after"),
            f"yêu cầu bắt đầu sau {grace:g} s khi PostgreSQL chạy lại": len(late),
            "trong đó thành công": sum(1 for a in late if a[2] in (200, 302)),
        }

    def say(self, message: str):
        self.stdout.write(message)
        self.stdout.flush()


class _HealthProbe(threading.Thread):
    """/healthz/ every tenth of a second from the restart until it answers ok once the
    restart has returned (or after it was seen down)."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base, self.ok_after, self.unavailable = base, None, 0
        self.restarted = threading.Event()

    def run(self):
        began = time.monotonic()
        seen_down = False
        while time.monotonic() - began < 120:
            try:
                urllib.request.urlopen(f"{self.base}/healthz/", timeout=5).read()
                if seen_down or self.restarted.is_set():
                    self.ok_after = round(time.monotonic() - began, 2)
                    return
            except OSError:  # 503 (an HTTPError) while the database is away
                seen_down = True
                self.unavailable += 1
            time.sleep(0.1)
