import gc
import time
from collections import Counter

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from groups.models import Commune
from lending.demo.accounts import DEMO_PASSWORD, demo_accounts_create
from lending.demo.generator import END, demo_batches
from lending.models import Loan
from lending.services.batch import BatchRefused, portfolio_write
from lending.services.bills import ensure_bills_current


class Command(BaseCommand):
    help = "Build the Quảng Ninh demo district (deterministic) and the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="multiply the district's size")
        parser.add_argument("--seed", type=int, default=2020, help="random seed")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")
        parser.add_argument(
            "--without-figures", action="store_true", help="leave the stored figures to `rebuild_figures`"
        )

    def handle(self, *args, scale, seed, if_empty, force, without_figures, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo chỉ chạy khi DEBUG bật; dùng --force để chạy trên máy thật.")
        if scale < 1:
            raise CommandError("--scale phải là số nguyên dương.")
        if Loan.objects.exists() or Commune.objects.exists():
            if if_empty:
                self.stdout.write("Cơ sở dữ liệu đã có dữ liệu: bỏ qua dữ liệu mẫu.")
                return
            raise CommandError("Cơ sở dữ liệu đã có dữ liệu; dữ liệu mẫu cần cơ sở dữ liệu trống.")
        started = time.monotonic()

        def progress(message):
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {message}")
            self.stdout.flush()

        progress(f"Tạo dữ liệu mẫu huyện Quảng Ninh (quy mô {scale}, seed {seed})...")
        # Hundreds of thousands of long-lived rows and no reference cycles among them: the
        # cyclic garbage collector would only rescan them again and again (a third of the
        # time). A commune's rows are let go when its batch is written.
        gc.disable()
        counts = Counter()
        try:
            # one transaction: the district is written whole or not at all
            with transaction.atomic():
                for rows in demo_batches(scale=scale, seed=seed):
                    communes = sorted({r.data["commune_code"] for r in rows.get("Members", ())})
                    total = sum(len(r) for r in rows.values())
                    where = f"xã {', '.join(communes)}" if communes else "danh mục xã, tập huấn, tin bài"
                    count = f"{total:,}".replace(",", ".")
                    progress(f"Kiểm tra và ghi {count} dòng ({where}) qua đường ghi lô...")
                    counts.update(
                        portfolio_write(
                            rows,
                            acting_user=None,
                            source=f"seed_demo scale={scale} seed={seed}",
                            bills_through=END,
                            progress=progress,
                            figures_later=True,
                        )
                    )
                    del rows
        except BatchRefused as refused:
            for issue in refused.issues[:20]:
                self.stderr.write(str(issue))
            raise CommandError(f"Dữ liệu mẫu không hợp lệ: {len(refused.issues)} lỗi.") from None
        finally:
            gc.enable()
        for sheet, count in counts.items():
            self.stdout.write(f"  {sheet}: {count}")
        # The ledger ends on 31/12/2020 but the app opens on today's date: bring the
        # interest bills of the loans still open up to today now, as the nightly
        # `rebuild_interest` would, so that no page has to do it on its first visit.
        progress("Tính lãi các món vay còn dư nợ đến hôm nay...")
        ensure_bills_current(timezone.localdate())
        # The figures of every ended month, quarter and year, stored once the book has
        # committed, on a connection per CPU (reporting/store.py).
        if not without_figures:
            progress("Lưu số liệu các tháng, quý, năm đã kết thúc...")
            call_command("rebuild_figures", stdout=self.stdout)
        accounts = demo_accounts_create()
        progress("Xong.")
        self.stdout.write(f"Tài khoản mẫu (mật khẩu {DEMO_PASSWORD}):")
        for username, role in accounts:
            self.stdout.write(f"  {username:8} {role}")
