from django.core.management.base import BaseCommand, CommandError

from lending.workbook import workbook_template


class Command(BaseCommand):
    help = "Ghi tệp Excel mẫu (trống) để nhập sổ cho vay: mỗi trang một bảng, dòng 1 là tên cột, dòng 2 là mô tả."

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .xlsx sẽ ghi")

    def handle(self, *args, path, **options):
        try:
            workbook_template(path)
        except OSError as exc:
            raise CommandError(f"Không ghi được tệp {path}: {exc.strerror or exc}.") from exc
        self.stdout.write(f"Đã ghi tệp mẫu {path}.")
