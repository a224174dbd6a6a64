from datetime import date
from decimal import Decimal

from django.db import migrations

# The bank's own program codes, with the rates in force in 2019–2020.
PROGRAMS = [
    ("01", "Cho vay hộ nghèo", "6.60"),
    ("02", "Cho vay học sinh, sinh viên có hoàn cảnh khó khăn", "6.60"),
    ("03", "Cho vay giải quyết việc làm", "7.92"),
    ("06", "Cho vay nước sạch và vệ sinh môi trường nông thôn", "9.00"),
    ("07", "Cho vay hỗ trợ hộ nghèo về nhà ở", "3.00"),
    ("09", "Cho vay hộ mới thoát nghèo", "8.25"),
    ("10", "Cho vay hộ sản xuất, kinh doanh tại vùng khó khăn", "9.00"),
    ("19", "Cho vay hộ cận nghèo", "7.92"),
]
RATES_FROM = date(2000, 1, 1)


def create(apps, schema_editor):
    LoanProgram = apps.get_model("lending", "LoanProgram")
    ProgramRate = apps.get_model("lending", "ProgramRate")
    for code, name, rate in PROGRAMS:
        program, _ = LoanProgram.objects.get_or_create(
            code=code,
            defaults={"name": name, "overdue_factor": Decimal("1.30"), "overdue_rule": "maturity"},
        )
        ProgramRate.objects.get_or_create(
            program=program, effective_on=RATES_FROM, defaults={"annual_rate": Decimal(rate)}
        )


class Migration(migrations.Migration):
    dependencies = [("lending", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
