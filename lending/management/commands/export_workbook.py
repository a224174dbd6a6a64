from django.core.management.base import BaseCommand, CommandError

from lending.workbook import workbook_export


class Command(BaseCommand):
    help = "Xuất toàn bộ sổ cho vay ra tệp Excel theo mẫu (nhập lại được vào cơ sở dữ liệu trống)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .xlsx sẽ ghi")

    def handle(self, *args, path, **options):
        try:
            counts = workbook_export(path)
        except OSError as exc:
            raise CommandError(f"Không ghi được tệp {path}: {exc.strerror or exc}.") from exc
        for sheet, count in counts.items():
            self.stdout.write(f"{sheet}: {count}")
