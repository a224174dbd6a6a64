"""The 2020 targets of the pledge (seed/translation.md; formats/scorecard.md's table)."""

from decimal import Decimal

from django.db import migrations

ALL = ["district", "association", "commune_association"]
ABOVE = ["district", "association"]

TARGETS_2020 = [
    ("T1", "100 % tổ TK&VV có số dư tiền gửi tiết kiệm", "month", "1", None, ALL),
    ("T2", "Tỷ lệ nợ quá hạn dưới 0,1 % hằng tháng", "month", "0.001", None, ALL),
    ("T3", "Thu nợ gốc đến hạn đạt từ 95 % trở lên hằng tháng", "month", "0.95", None, ALL),
    ("T4", "100 % nợ đến hạn, quá hạn, nợ rủi ro được xử lý kịp thời", "month", "1", None, ALL),
    ("T5", "100 % tổ chức hội cấp xã xếp loại tốt, khá", "quarter", "1", None, ALL),
    ("T6", "Từ 99 % tổ TK&VV xếp loại tốt, khá; không có tổ yếu", "month", "0.99", None, ALL),
    ("T7", "100 % tổ TK&VV họp định kỳ trước ngày giao dịch xã 3 đến 5 ngày", "month", "1", None, ALL),
    ("T8", "Thu lãi trên 99,5 % lãi phải thu và thêm 10 % lãi tồn đọng", "quarter", "0.995", "0.10", ALL),
    ("T9", "Mỗi quý mỗi tổ chức hội có ít nhất 2 tin, bài trên báo, đài, cổng thông tin", "quarter", "2", None, ABOVE),
    ("T10", "Mỗi quý mỗi hội cấp xã có ít nhất 1 tin trên loa truyền thanh xã", "quarter", "1", None, ALL),
]


def add_2020(apps, schema_editor):
    Target = apps.get_model("emulation", "EmulationTarget")
    for position, (code, title, every, threshold, recovery, levels) in enumerate(TARGETS_2020, start=1):
        Target.objects.create(
            year=2020,
            code=code,
            title=title,
            every=every,
            threshold=Decimal(threshold),
            recovery_threshold=Decimal(recovery) if recovery else None,
            levels=levels,
            position=position,
        )


def remove_2020(apps, schema_editor):
    apps.get_model("emulation", "EmulationTarget").objects.filter(year=2020).delete()


class Migration(migrations.Migration):
    dependencies = [("emulation", "0001_initial")]

    operations = [migrations.RunPython(add_2020, remove_2020)]
