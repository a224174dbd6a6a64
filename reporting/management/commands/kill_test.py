"""python manage.py kill_test: `kill -9` of the process writing, in the middle of a write.

Against gunicorn (2 workers) and the import worker (`manage.py db_worker`) serving
DATABASE_URL's database (PostgreSQL with the demo district at scale 1: a copy, such as
`createdb -T <name>_bench1 <name>_faults`) on 127.0.0.1, it sends two kinds of write
through the pages, as a person would, and kills the process writing each while it writes:

- a large portfolio workbook of new records (a commune of its own with `--members`
  borrowers, their groups, loans, installments, repayments, interest and savings of last
  month), uploaded on the import page by the manager and imported by the worker (killed;
  started again as its service would be; the import's page must say it was interrupted,
  and the next import marks it failed);
- one group's sheet of the commune transaction day, posted by branch staff (the three
  groups with most loans of the first commune, on its last transaction day).

What the write has done is read from PostgreSQL: its session holds a row-exclusive lock
on the tables it has written in its open transaction, and the loan and savings
transactions' sequences show how many rows it has inserted. Each kind is killed at three
points, each on a write of its own: its first write; half of its loan transactions
inserted; the stored figures being brought up to date, the last step before its commit.
After each kill:
- the database is as before: every table's row count and a hash of its rows (the
  ledger's sums with them) are unchanged, and the killed worker's session is gone;
- no file is left behind by the killed worker (upload spools, the figures kept between
  requests);
- the master has started a new worker (the import worker is started again) and the
  server answers;
- the same request (the same file uploaded again) succeeds and writes exactly the
  expected rows; a sheet
  sent a third time, with the same token, is answered as already posted and writes
  nothing.
At the end `rebuild_interest --check` and `rebuild_figures --check` must be clean. It
prints each kill point, its time into the request, what was checked and the retry's
time, and exits 1 on any failure. Fault tests are not tests: nothing here runs under
pytest. It writes real records: run it on a copy, never on the office's database.
"""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .bench import served
from .load_test import CSRF, _opener, _request, run_checks

WORKERS = 2  # the killed one and one beside it
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POLL_S = 0.003

# The uploads queued for import and the worker's queue: no part of the book; an upload
# adds its rows there before its import runs, whatever becomes of it (checked apart).
QUEUE_TABLES = {"lending_workbookimport", "django_tasks_database_dbtaskresult"}

# The sessions of the app's server writing the book in an open transaction: a
# row-exclusive lock (INSERT, UPDATE, DELETE) on an ordinary table other than the queue's,
# held by a client of this database.
WRITING_SQL = f"""
SELECT a.pid, a.client_port, a.backend_xid::text, a.state, left(a.query, 60),
       array_agg(DISTINCT c.relname ORDER BY c.relname)
FROM pg_stat_activity a
JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'relation' AND l.mode = 'RowExclusiveLock' AND l.granted
JOIN pg_class c ON c.oid = l.relation AND c.relkind = 'r' AND c.relname NOT IN ({", ".join(f"'{t}'" for t in QUEUE_TABLES)})
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
GROUP BY 1, 2, 3, 4, 5
"""


# -- the processes of the server ------------------------------------------------------------


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _children(pid: int) -> set[int]:
    return {int(e.name) for e in os.scandir("/proc") if e.name.isdigit() and _parent_of(int(e.name)) == pid}


def _gunicorn_master(port: int) -> int:
    """This process's gunicorn child serving `port`."""
    for pid in _children(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "gunicorn" in command and f"127.0.0.1:{port}" in command:
            return pid
    raise CommandError("Không tìm thấy tiến trình gunicorn chính.")


def _worker_with_port(workers: set[int], local_port: int) -> int | None:
    """The worker owning the TCP socket whose local port is `local_port` (its connection
    to PostgreSQL, as pg_stat_activity.client_port shows it)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in workers:
        try:
            links = {os.readlink(entry.path) for entry in os.scandir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if links & inodes:
            return pid
    return None


def _refusals(page: str) -> list[str]:
    """What a form page answered with its errors says (its alerts and field messages)."""
    found = re.findall(r'<div class="(?:alert alert-danger[^"]*|invalid-feedback)"[^>]*>(.*?)</div>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in found][:10]


def _files(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


# -- requests ---------------------------------------------------------------------------------


def _upload(url: str, cookies: dict, fields: dict, name: str, content: bytes) -> tuple[int, str, float]:
    """(status, body, seconds) of a multipart POST of `fields` and one file, as a browser
    sends the import form."""
    boundary = secrets.token_hex(16)
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {XLSX}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    headers = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Referer": url,
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    started = time.perf_counter()
    try:
        response = _opener.open(urllib.request.Request(url, data=b"".join(parts), headers=headers), timeout=600)
        status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:  # a redirect (not followed) or an error
        status, text = error.code, error.read().decode(errors="replace")
    return status, text, time.perf_counter() - started


class Command(BaseCommand):
    help = (
        "kill -9 tiến trình gunicorn giữa lúc nhập tệp Excel và ghi bảng kê: không còn gì dở dang, gửi lại thành công."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=12000, help="số tổ viên mới trong tệp Excel nhập")
        parser.add_argument("--without-checks", action="store_true", help="leave out rebuild_*--check at the end")
        parser.add_argument("--only", choices=["import", "sheet"], help="only one kind of write")

    def handle(self, *args, members, without_checks, only, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Chạy trên PostgreSQL (bản sao dữ liệu mẫu quy mô 1, ví dụ từ make bench).")
        if not connection.settings_dict.get("HOST"):
            raise CommandError("DATABASE_URL phải qua TCP (127.0.0.1) để biết tiến trình nào giữ kết nối.")
        self.problems: list[str] = []
        self.lines: list[str] = []
        spool = Path(tempfile.mkdtemp(prefix="kill-test-"))
        self.upload_dir = spool / "tmp"
        self.cache_dir = spool / "figures"
        self.upload_dir.mkdir()
        self.cache_dir.mkdir()
        # The server's spools and kept figures in a folder of their own, where a file left
        # by a killed worker shows.
        os.environ["TMPDIR"] = str(self.upload_dir)
        os.environ["FIGURES_CACHE_URL"] = f"filecache://{self.cache_dir}"
        # gunicorn's own log (workers started, signalled, a request's error) is kept to be
        # shown when a request fails.
        self.server_log = spool / "gunicorn.log"
        self.worker_log = spool / "worker.log"
        os.environ["GUNICORN_CMD_ARGS"] = f"--log-level info --error-logfile {self.server_log}"
        started = time.perf_counter()
        try:
            # production's timeout (120 s): the import runs in the worker, not in a request
            with served(WORKERS) as base:
                self.base = base
                self.master = _gunicorn_master(urlsplit(base).port)
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_get_serial_sequence('lending_loantransaction', 'id'), "
                        "pg_get_serial_sequence('lending_savingstransaction', 'id')"
                    )
                    self.sequences = cursor.fetchone()
                if only in (None, "import"):
                    self.start_worker()
                    try:
                        self.import_points(members)
                    finally:
                        self.stop_worker()
                if only in (None, "sheet"):
                    self.sheet_points()
        finally:
            for key in ("TMPDIR", "FIGURES_CACHE_URL", "GUNICORN_CMD_ARGS"):
                os.environ.pop(key, None)
            shutil.rmtree(spool, ignore_errors=True)
        if not without_checks:
            self.final_checks()
        self.say("")
        self.say(f"Tổng thời gian: {time.perf_counter() - started:.0f} s")
        out = Path(settings.BASE_DIR) / "bench-results" / f"kill-{timezone.localtime():%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(
            json.dumps({"lines": self.lines, "problems": self.problems}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        self.say(f"Kết quả chi tiết: {out.relative_to(settings.BASE_DIR)}")
        if self.problems:
            for problem in self.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(self.problems)} vấn đề.")
        self.say("Không còn gì dở dang sau mỗi lần kill; mọi lần gửi lại đều thành công.")

    def say(self, message: str):
        self.lines.append(message)
        self.stdout.write(message)
        self.stdout.flush()

    def problem(self, message: str):
        self.problems.append(message)
        self.say(f"    LỖI: {message}")

    def server_log_tail(self, lines: int = 30):
        """The end of gunicorn's log, shown after a request that failed."""
        try:
            text = self.server_log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        self.say("    nhật ký gunicorn (cuối):")
        for line in text.splitlines()[-lines:]:
            self.say(f"      {line}")

    # -- the database --------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, tuple[int, int]]:
        """Every table of the app: (row count, sum of a hash of each row)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
            )
            tables = [name for (name,) in cursor.fetchall() if name not in QUEUE_TABLES]
            found = {}
            for table in tables:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM {quoted} t")
                found[table] = tuple(cursor.fetchone())
            for name, table in (
                ("ledger_loans", "lending_loantransaction"),
                ("ledger_savings", "lending_savingstransaction"),
            ):
                cursor.execute(f"SELECT coalesce(sum(amount), 0) FROM {table}")  # noqa: S608 (fixed names)
                found[name] = (int(cursor.fetchone()[0]), 0)
        return found

    def compare(self, before: dict, after: dict, what: str) -> bool:
        changed = {
            t: (before.get(t), after.get(t)) for t in before.keys() | after.keys() if before.get(t) != after.get(t)
        }
        if changed:
            shown = ", ".join(f"{t}: {b} → {a}" for t, (b, a) in sorted(changed.items())[:6])
            self.problem(f"{what}: cơ sở dữ liệu đã đổi ({len(changed)} bảng): {shown}")
            return False
        return True

    def session_alive(self, pid: int) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone() is not None

    def writing(self) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(WRITING_SQL)
            return cursor.fetchall()

    # -- one request, watched and perhaps killed -----------------------------------------------
    def ledger_ids(self) -> tuple[int, int]:
        """The last ids handed out for loan and savings transactions: a sequence moves on at
        each insert and is seen at once by every session, committed or not."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT last_value FROM {}), (SELECT last_value FROM {})".format(*self.sequences)  # noqa: S608
            )
            return cursor.fetchone()

    def strike(self, send, stage: tuple[str, object] | None = None, worker=None) -> dict:
        """Send a request (`send()` → its answer) in a thread while watching PostgreSQL.

        With a `stage` (label, test of what the write has done so far: the tables it is
        writing, the loan and savings transactions it has inserted), SIGKILL the process
        whose database session is writing as soon as the test passes: the gunicorn worker,
        or with `worker` (a process of the import worker, `send` None) that process, the
        write being the import it runs. Returns the times (first write seen, kill, answer
        or the import's end), what the write had done when killed, what the client got
        and, after a kill, what was checked of the server."""
        outcome: dict = {}

        def run():
            try:
                outcome["answer"] = send()
            except Exception as error:  # noqa: BLE001 (what the client saw is the finding)
                outcome["error"] = f"{type(error).__name__}: {error}"
            outcome["ended"] = time.perf_counter()

        found: dict = {"first_write_s": None}
        base_loans, base_savings = self.ledger_ids()
        started = time.perf_counter()
        if send is not None:
            thread = threading.Thread(target=run)
            thread.start()
            busy = thread.is_alive
        else:
            busy = self.import_pending
        deadline = started + 900
        while busy() and time.perf_counter() < deadline:
            rows = self.writing()
            now = time.perf_counter() - started
            if rows and found["first_write_s"] is None:
                found["first_write_s"] = now
            if rows and stage is not None:
                pid, port, xid, state, query, tables = rows[0]
                loans, savings = self.ledger_ids()
                done = {"tables": tables, "loan_rows": loans - base_loans, "savings_rows": savings - base_savings}
                if stage[1](done):
                    owners = {worker.pid} if worker is not None else _children(self.master)
                    killed = _worker_with_port(owners, port)
                    if killed is None:
                        raise CommandError(f"Không tìm thấy tiến trình giữ cổng {port}.")
                    os.kill(killed, signal.SIGKILL)
                    found |= done | {
                        "kill_s": time.perf_counter() - started,
                        "worker": killed,
                        "backend": pid,
                        "xid": xid,
                        "state": state,
                        "query": " ".join(query.split()),
                    }
                    break
            time.sleep(POLL_S)
        if send is not None:
            thread.join(timeout=120)
            if thread.is_alive():
                raise CommandError("Yêu cầu không kết thúc sau khi kill.")
        else:
            outcome["ended"] = time.perf_counter()
        found["answer_s"] = outcome["ended"] - started
        found["answer"] = outcome.get("answer")
        found["error"] = outcome.get("error")
        if "kill_s" in found:
            found |= self.after_kill(found["worker"], found["backend"], worker)
        return found

    def after_kill(self, killed: int, backend: int, worker=None) -> dict:
        """A new process takes the killed one's place (gunicorn's master starts a worker; the
        import worker is started again, as systemd's Restart=always does), the killed
        process's database session ends (a statement under way runs to its end first), the
        server answers."""
        killed_at = time.perf_counter()
        respawned = None
        if worker is not None:
            worker.wait(timeout=60)
            self.start_worker()
            respawned = time.perf_counter() - killed_at
        while respawned is None and time.perf_counter() - killed_at < 60:
            workers = _children(self.master)
            if killed not in workers and len(workers) == WORKERS:
                respawned = time.perf_counter() - killed_at
                break
            time.sleep(0.002)
        if respawned is None:
            self.problem(f"gunicorn chưa chạy lại đủ {WORKERS} tiến trình sau 60 s")
        while self.session_alive(backend) and time.perf_counter() - killed_at < 300:
            time.sleep(0.002)
        session_gone_s = time.perf_counter() - killed_at
        if self.session_alive(backend):
            self.problem(f"phiên PostgreSQL {backend} của tiến trình bị kill vẫn còn sau 300 s")
        healthy = urllib.request.urlopen(f"{self.base}/healthz/", timeout=30).read().decode().strip()  # noqa: S310
        if healthy != "ok":
            self.problem(f"/healthz/ trả lời {healthy!r} sau khi kill")
        return {"session_gone_s": session_gone_s, "respawn_s": respawned, "healthz": healthy}

    def files_left(self, before: set[str], cache_before: set[str]) -> list[str]:
        left = sorted(_files(self.upload_dir) - before)
        left += [f"figures/{f}" for f in sorted(_files(self.cache_dir) - cache_before) if not f.endswith(".djcache")]
        return left

    def report_kill(self, n: int, stage: str, label: str, struck: dict, before, files_before, cache_before) -> bool:
        """Print and check one kill point (its problems noted); False when the request was
        not killed while writing."""
        if "kill_s" not in struck:
            self.problem(f"{label} {n}: yêu cầu đã xong ({struck['answer_s']:.2f} s) trước khi kill")
            return False
        tables = struck["tables"]
        self.say(
            f"  Điểm {n} ({stage}): kill -9 tiến trình {struck['worker']} sau {struck['kill_s']:.2f} s "
            f"(ghi lần đầu lúc {struck['first_write_s']:.2f} s)"
        )
        self.say(
            f"    lúc kill: phiên {struck['backend']} ({struck['state']}, {struck['query'][:40]}…) đã ghi chưa commit "
            f"{struck['loan_rows']} bút toán món vay, {struck['savings_rows']} bút toán tiết kiệm, "
            f"vào {len(tables)} bảng: {', '.join(tables[:3])}{'…' if len(tables) > 3 else ''}"
        )
        if struck["error"] or struck["answer"]:
            self.say(f"    máy khách nhận: {struck['error'] or struck['answer'][0]}")
        if struck["answer"] is not None:
            self.problem(f"{label} {n}: máy khách vẫn nhận câu trả lời {struck['answer'][0]} sau khi kill")
        self.say(
            f"    phiên PostgreSQL kết thúc sau {struck['session_gone_s'] * 1000:.0f} ms; tiến trình mới sau "
            f"{(struck['respawn_s'] or 0) * 1000:.0f} ms; /healthz/ {struck['healthz']}"
        )
        after = self.fingerprint()
        if self.compare(before, after, f"{label} {n} sau khi kill"):
            self.say(
                f"    không còn gì dở dang: {len(before) - 2} bảng giữ nguyên số dòng và nội dung, sổ cái giữ nguyên"
            )
        left = self.files_left(files_before, cache_before)
        if left:
            self.problem(f"{label} {n}: còn tệp do tiến trình bị kill để lại: {left[:5]}")
        else:
            self.say("    không còn tệp nào do tiến trình bị kill để lại (tệp tải lên, số liệu giữ giữa các yêu cầu)")
        return True

    @staticmethod
    def stages(loan_rows: int) -> list[tuple[str, object]]:
        """The kill points of a write that inserts `loan_rows` loan transactions: its first
        write, half of those inserted, and the stored figures being brought up to date (the
        last step before its commit)."""
        return [
            ("lần ghi đầu tiên", lambda done: True),
            (
                f"đã ghi một nửa số bút toán món vay ({loan_rows // 2}/{loan_rows})",
                lambda done: done["loan_rows"] >= loan_rows // 2,
            ),
            (
                "đang cập nhật số liệu đã lưu, bước cuối trước khi commit",
                lambda done: any(t.startswith("reporting_") for t in done["tables"]),
            ),
        ]

    # -- the workbook import -------------------------------------------------------------------
    def start_worker(self):
        """The import worker (`manage.py db_worker`), as the service of docs/deploy.md runs it."""
        env = os.environ | {"DJANGO_SETTINGS_MODULE": "vbsp_district.settings.local", "DJANGO_DEBUG": "0"}
        command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
        with open(self.worker_log, "ab") as log:
            self.worker = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=log)

    def stop_worker(self):
        worker = getattr(self, "worker", None)
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=60)

    def import_pending(self) -> bool:
        from lending.models import WorkbookImport

        return WorkbookImport.objects.filter(pk=self.job_id, status__in=["queued", "running"]).exists()

    def upload(self, url: str, cookies: dict, name: str, content: bytes) -> int:
        """Upload the workbook on the import page (as the manager's browser does); the job."""
        from lending.models import WorkbookImport

        status, page, set_cookies, _ = _request(url, cookies)
        cookies |= set_cookies
        if status != 200:
            raise CommandError(f"Trang nhập tệp trả lời {status}.")
        fields = {"csrfmiddlewaretoken": CSRF.search(page).group(1)}
        last = WorkbookImport.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        status, body, seconds = _upload(url, cookies, fields, name, content)
        job = WorkbookImport.objects.filter(pk__gt=last).order_by("-pk").values_list("pk", flat=True).first()
        if status != 302 or job is None:
            raise CommandError(f"Tải tệp lên trả lời {status}: {body[:300]!r}")
        self.say(f"    tải lên: {seconds:.2f} s, trả lời 302 tới trang lần nhập {job}")
        self.job_id = job
        return job

    def import_points(self, members: int):
        from lending.models import WorkbookImport
        from lending.workbook.jobs import INTERRUPTED, SETTLE

        manager = get_user_model().objects.get(username="quanly")
        url = self.base + reverse("workbook_import")
        self.say(
            f"Nhập tệp Excel ({url}; tiến trình nhập `manage.py db_worker`), mỗi điểm kill một tệp mới "
            f"{members} tổ viên:"
        )
        for n in range(1, 4):
            name, content, expected = self.workbook(members)
            stage, test = self.stages(expected["lending_loantransaction"])[n - 1]
            client = Client()
            client.force_login(manager)
            cookies = {"sessionid": client.cookies["sessionid"].value}
            if n == 1:
                spooled = (
                    "ghi ra tệp tạm" if len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE else "giữ trong bộ nhớ"
                )
                self.say(
                    f"  tệp {name}: {len(content) / 2**20:.1f} MB ({spooled} khi tải lên), "
                    f"{sum(expected.values())} dòng"
                )
            before = self.fingerprint()
            files_before, cache_before = _files(self.upload_dir), _files(self.cache_dir)
            job = self.upload(url, cookies, name, content)
            struck = self.strike(None, (stage, test), worker=self.worker)
            if not self.report_kill(n, stage, "Nhập tệp", struck, before, files_before, cache_before):
                continue  # not killed mid-write: nothing to retry
            killed = WorkbookImport.objects.get(pk=job)
            page = _request(f"{self.base}{killed.get_absolute_url()}", cookies)[1]
            if killed.status == "running" and killed.worker_pid == struck["worker"] and "Bị gián đoạn" in page:
                self.say("    trang lần nhập: “Bị gián đoạn … chưa ghi dữ liệu nào của tệp này. Hãy nhập lại tệp.”")
            else:
                self.problem(f"Nhập tệp {n}: lần nhập bị kill là {killed.status}, trang không báo bị gián đoạn")
            # the next import marks it failed once it is older than SETTLE
            wait = (killed.started_at + SETTLE - timezone.now()).total_seconds()
            time.sleep(max(wait, 0) + 0.5)
            self.upload(url, cookies, name, content)
            retry = self.strike(None)
            after = self.fingerprint()
            counts = {t: after[t][0] - before[t][0] for t in expected}
            done = WorkbookImport.objects.get(pk=self.job_id)
            killed.refresh_from_db()
            if done.status == "done" and counts == expected:
                self.say(
                    f"    gửi lại: nhập xong sau {retry['answer_s']:.2f} s (ghi lần đầu lúc "
                    f"{retry['first_write_s']:.2f} s), đúng số dòng mới: "
                    + ", ".join(f"{t.split('_', 1)[1]} +{c}" for t, c in counts.items())
                )
            else:
                self.problem(
                    f"Nhập tệp {n}: gửi lại {done.status} ({done.message[:200]!r}), số dòng mới {counts}, cần {expected}"
                )
                self.server_log_tail()
            if (killed.status, killed.message) == ("failed", INTERRUPTED):
                self.say("    lần nhập bị kill nay ghi là lỗi: bị gián đoạn")
            else:
                self.problem(f"Nhập tệp {n}: lần nhập bị kill vẫn là {killed.status}")

    def workbook(self, members: int) -> tuple[str, bytes, dict[str, int]]:
        """A workbook of new records, a commune of its own (KT001, KT002, ...) with
        `members` borrowers and their groups, loans, installments, repayments, interest and
        savings of last month, and the rows each table must gain from it."""
        from io import BytesIO

        from openpyxl import Workbook

        from groups.models import Commune
        from lending.workbook.spec import COLUMNS
        from vbsp_district.core.closing import first_closed_from
        from vbsp_district.core.months import month_add

        # Dated last month: the stored figures the import builds again are that month's
        # and today's, so that the time goes to the rows themselves.
        today = timezone.localdate()
        start = date(*month_add(today.year, today.month, -1), 1)
        if first_closed_from(start) is not None:
            raise CommandError(f"Có quý đã khóa sổ sau {start:%d/%m/%Y}: không nhập được dữ liệu thử.")
        run = Commune.objects.filter(code__startswith="KT").count() + 1
        commune = f"KT{run:03d}"
        groups = max(members // 40, 1)
        rows: dict[str, list[dict]] = {sheet: [] for sheet in COLUMNS}
        rows["Communes"].append({"code": commune, "name": f"Xã Kiểm Thử {run}", "kind": "xa", "transaction_day": 10})
        associations = ("HND", "HPN", "CCB", "DTN")
        for g in range(groups):
            rows["Groups"].append(
                {
                    "code": f"{commune}-T{g + 1:03d}",
                    "name": f"Tổ kiểm thử {g + 1}",
                    "commune_code": commune,
                    "association_code": associations[g % 4],
                    "founded_on": start,
                }
            )
        days = [start + timedelta(days=d) for d in (9, 16, 23)]
        for i in range(members):
            national_id = f"9{run:05d}{i:06d}"
            loan_no = f"{commune}/{i + 1:06d}"
            rows["Members"].append(
                {"national_id": national_id, "full_name": f"Nguyễn Thị Kiểm Thử {i + 1}", "commune_code": commune}
            )
            rows["Memberships"].append(
                {"national_id": national_id, "group_code": f"{commune}-T{i % groups + 1:03d}", "joined_on": start}
            )
            rows["Loans"].append(
                {
                    "loan_no": loan_no,
                    "national_id": national_id,
                    "program_code": "01",
                    "channel": "entrusted",
                    "disbursed_on": start + timedelta(days=2),
                    "amount": 30_000_000,
                }
            )
            for y in (1, 2, 3):
                rows["Installments"].append(
                    {"loan_no": loan_no, "due_on": date(start.year + y, start.month, 5), "principal": 10_000_000}
                )
            for day in days:
                rows["Transactions"].append(
                    {"loan_no": loan_no, "value_date": day, "kind": "interest", "amount": 150_000}
                )
                rows["Transactions"].append(
                    {"loan_no": loan_no, "value_date": day, "kind": "principal", "amount": 500_000}
                )
                rows["Savings"].append(
                    {"national_id": national_id, "value_date": day, "kind": "deposit", "amount": 50_000}
                )
        book = Workbook(write_only=True)
        for sheet, columns in COLUMNS.items():
            if not rows[sheet]:
                continue
            ws = book.create_sheet(sheet)
            ws.append([c.key for c in columns])
            for row in rows[sheet]:
                ws.append([row.get(c.key) for c in columns])
        buffer = BytesIO()
        book.save(buffer)
        expected = {
            "groups_commune": 1,
            "groups_savingsgroup": groups,
            "groups_member": members,
            "groups_membership": members,
            "lending_loan": members,
            "lending_installment": len(rows["Installments"]),
            "lending_loantransaction": len(rows["Transactions"]) + members,  # each loan's disbursement
            "lending_savingstransaction": len(rows["Savings"]),
        }
        return f"kiem-thu-{commune.lower()}.xlsx", buffer.getvalue(), expected

    # -- the transaction-day sheet -------------------------------------------------------------
    def sheet_points(self):
        from groups.models import Commune
        from lending.forms.transaction_day import GroupSheetForm, new_token
        from lending.models import LoanTransaction, SavingsTransaction
        from lending.selectors.transaction_day import transaction_day_in, transaction_day_sheets
        from vbsp_district.access.scoping import Scope
        from vbsp_district.core.months import month_add

        staff = get_user_model().objects.get(username="canbo")
        scope = Scope.of(staff)
        today = timezone.localdate()
        commune = Commune.objects.filter(code__startswith="QN").order_by("code").first()
        day = transaction_day_in(commune, today.year, today.month)
        if day > today:
            day = transaction_day_in(commune, *month_add(today.year, today.month, -1))
        sheets = transaction_day_sheets(commune=commune, on=day, scope=scope)
        sheets = sorted(sheets, key=lambda s: (-len(s.loans), s.group.code))[:3]
        url = self.base + reverse("transaction_day_sheet", args=[commune.code, day.isoformat()])
        self.say(f"Bảng kê ngày giao dịch xã {commune.code} ngày {day:%d/%m/%Y} ({url}), mỗi điểm kill một tổ:")
        for n, sheet in enumerate(sheets, start=1):
            client = Client()
            client.force_login(staff)
            cookies = {"sessionid": client.cookies["sessionid"].value}
            status, page, set_cookies, _ = _request(url, cookies)
            cookies |= set_cookies
            if status != 200:
                raise CommandError(f"Trang bảng kê trả lời {status}.")
            form = GroupSheetForm(sheet)
            token = new_token()
            data = {"csrfmiddlewaretoken": CSRF.search(page).group(1), "group": sheet.group.code}
            expected_loan, expected_savings = 0, 0
            for name, field in form.fields.items():
                value = field.initial
                if name.startswith("d-"):
                    value = 20_000  # every member brings savings too
                if name == "token":
                    value = token
                elif value:
                    if name.startswith("d-"):
                        expected_savings += 1
                    else:
                        expected_loan += 1
                data[form.add_prefix(name)] = "" if value is None else str(value)
            self.say(
                f"  Tổ {sheet.group.code}: {len(sheet.members)} tổ viên, {len(sheet.loans)} món vay, "
                f"{expected_loan} khoản thu gốc và lãi, {expected_savings} khoản gửi tiết kiệm"
            )
            before = self.fingerprint()
            files_before, cache_before = _files(self.upload_dir), _files(self.cache_dir)

            def send(cookies=cookies, data=data):
                return _request(url, cookies, data)

            stage, test = self.stages(expected_loan)[n - 1]
            struck = self.strike(send, (stage, test))
            if not self.report_kill(n, stage, "Bảng kê", struck, before, files_before, cache_before):
                continue  # not killed mid-write: nothing to retry

            retry = self.strike(send)
            status = (retry["answer"] or (None,))[0]
            rows = (
                LoanTransaction.objects.filter(reference__startswith=f"GD-{token}-").count(),
                SavingsTransaction.objects.filter(reference__startswith=f"GD-{token}-").count(),
            )
            if status == 302 and rows == (expected_loan, expected_savings):
                self.say(
                    f"    gửi lại: thành công trong {retry['answer_s']:.2f} s (ghi lần đầu lúc "
                    f"{retry['first_write_s']:.2f} s), {rows[0]} bút toán món vay và {rows[1]} bút toán tiết kiệm "
                    f"mang mã tờ kê {token}"
                )
            else:
                self.problem(
                    f"Bảng kê {n}: gửi lại trả lời {status}, {rows} bút toán, cần {(expected_loan, expected_savings)}"
                    f"; trang báo: {_refusals((retry['answer'] or (None, ''))[1])}"
                )
                self.server_log_tail()
                continue
            settled = self.fingerprint()
            again = self.strike(send)
            status = (again["answer"] or (None,))[0]
            # the message is shown on the page the answer leads to (its cookie set with it)
            follow = _request(url, cookies | again["answer"][2])[1] if status == 302 else ""
            if (
                status == 302
                and "đã được ghi sổ trước đó" in follow
                and self.compare(settled, self.fingerprint(), f"Bảng kê {n} gửi lần ba")
            ):
                self.say(
                    f"    gửi lần ba cùng mã tờ kê: trả lời đã ghi sổ trước đó ({again['answer_s']:.2f} s), "
                    "không ghi thêm gì"
                )
            else:
                self.problem(f"Bảng kê {n}: gửi lần ba trả lời {status} (không thấy 'đã được ghi sổ trước đó')")

    def final_checks(self):
        result, problems = {}, []
        run_checks(result, problems)
        for problem in problems:
            self.problem(problem)
        for command, outcome in result.items():
            if outcome.startswith("sạch"):
                self.say(f"{command}: {outcome}")
