"""python manage.py rebuild_figures [--check] [--stale]: the stored figures of ended periods."""

import time

from django.core.management.base import BaseCommand

from reporting import store


class Command(BaseCommand):
    help = (
        "Tính lại và lưu số liệu của mọi tháng, quý, năm đã kết thúc (--stale: chỉ các kỳ chưa "
        "lưu hoặc cần tính lại); với --check, chỉ so sánh số liệu đã lưu với sổ và báo khác "
        "biệt (mã thoát 1 nếu có)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report differences, change nothing")
        parser.add_argument("--stale", action="store_true", help="build only the periods missing or stale")

    def handle(self, *args, check, stale, **options):
        started = time.monotonic()
        if check:
            found = store.differences()
            for line in found:
                self.stdout.write(line)
            self.stdout.write(f"{len(store.ended_periods())} kỳ, {len(found)} khác biệt.")
            if found:
                raise SystemExit(1)
            return
        built = store.build_all(only_missing_or_stale=stale)
        rows = store.stored_row_counts()
        self.stdout.write(
            f"{len(built)} kỳ đã tính lại trong {time.monotonic() - started:.1f} giây; "
            f"đang lưu {rows[0]} dòng số liệu và {rows[1]} dòng người vay."
        )
