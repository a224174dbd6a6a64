from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lending.services.batch import BatchRefused
from lending.workbook import WorkbookUnreadable, workbook_import


class Command(BaseCommand):
    help = (
        "Nhập sổ cho vay từ tệp Excel theo mẫu (portfolio workbook), tất cả hoặc không: có lỗi thì "
        "in từng lỗi, không ghi gì và thoát với mã 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .xlsx")
        parser.add_argument("--user", dest="username", help="người ghi sổ (tên đăng nhập)")

    def handle(self, *args, path, username=None, **options):
        user = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"Không tìm thấy người dùng {username}.")
        try:
            counts = workbook_import(path, acting_user=user)
        except WorkbookUnreadable as exc:
            raise CommandError(str(exc)) from exc
        except BatchRefused as exc:
            for issue in exc.shown:
                self.stderr.write(str(issue))
            if exc.hidden_count:
                self.stderr.write(f"... và {exc.hidden_count} lỗi khác (chỉ liệt kê {len(exc.shown)} lỗi đầu).")
            self.stderr.write(f"Không nhập được: {len(exc.issues)} lỗi; chưa ghi dữ liệu nào.")
            raise SystemExit(1) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for sheet, count in counts.items():
            self.stdout.write(f"{sheet}: {count}")
