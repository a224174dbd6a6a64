from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from groups.models import Commune
from groups.services import commune_create
from lending.demo.accounts import DEMO_PASSWORD, demo_accounts_create
from lending.demo.district import COMMUNES
from lending.models import Loan


class Command(BaseCommand):
    help = "Build the Quảng Ninh demo district (deterministic) and the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args, scale, seed, if_empty, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo chỉ chạy khi DEBUG bật; dùng --force để chạy trên máy thật.")
        if scale < 1:
            raise CommandError("--scale phải là số nguyên dương.")
        if Loan.objects.exists() or Commune.objects.exists():
            if if_empty:
                self.stdout.write("Cơ sở dữ liệu đã có dữ liệu: bỏ qua dữ liệu mẫu.")
                return
            raise CommandError("Cơ sở dữ liệu đã có dữ liệu; dữ liệu mẫu cần cơ sở dữ liệu trống.")
        for code, name, kind, day in COMMUNES:
            commune_create(code=code, name=name, kind=kind, transaction_day=day, acting_user=None)
        accounts = demo_accounts_create()
        self.stdout.write(f"Tài khoản mẫu (mật khẩu {DEMO_PASSWORD}):")
        for username, role in accounts:
            self.stdout.write(f"  {username:8} {role}")
