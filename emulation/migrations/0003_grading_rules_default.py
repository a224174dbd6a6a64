"""The default grading rules of DESIGN §5, in force from the book's beginning."""

from datetime import date

from django.db import migrations

GROUP_RULES = {
    "criteria": [
        {
            "code": "transaction_day",
            "title": "Giao dịch đúng ngày giao dịch xã",
            "points": 20,
            "steps": [["ge", "1", 20], ["ge", "0.8", 10]],
            "otherwise": 0,
            "none": 20,
        },
        {
            "code": "overdue",
            "title": "Tỷ lệ nợ quá hạn cuối tháng",
            "points": 30,
            "steps": [["eq", "0", 30], ["lt", "0.01", 20], ["lt", "0.02", 10]],
            "otherwise": 0,
            "none": 30,
        },
        {
            "code": "principal_collection",
            "title": "Tỷ lệ thu nợ gốc đến hạn trong tháng",
            "points": 15,
            "steps": [["ge", "0.95", 15], ["ge", "0.8", 8]],
            "otherwise": 0,
            "none": 15,
        },
        {
            "code": "interest_collection",
            "title": "Tỷ lệ thu lãi trong tháng",
            "points": 20,
            "steps": [["ge", "0.995", 20], ["ge", "0.95", 15], ["ge", "0.9", 10]],
            "otherwise": 0,
            "none": 20,
        },
        {
            "code": "members_saving",
            "title": "Tổ viên có số dư tiết kiệm",
            "points": 5,
            "steps": [["ge", "0.9", 5], ["ge", "0.5", 3]],
            "otherwise": 0,
            "none": 0,
        },
        {
            "code": "savings_growth",
            "title": "Số dư tiết kiệm so với tháng trước",
            "points": 10,
            "steps": [["gt", "0", 10], ["eq", "0", 5]],
            "otherwise": 0,
            "none": 0,
        },
    ],
    "bands": [["Tốt", 85], ["Khá", 70], ["Trung bình", 50]],
    "lowest": "Yếu",
}

COMMUNE_ASSOCIATION_RULES = {
    "good_groups_share": "0.9",
    "overdue_below": "0.01",
    "broadcasts_at_least": 1,
    "grades": ["Yếu", "Trung bình", "Khá", "Tốt"],
}

SINCE = date(2000, 1, 1)


def add_defaults(apps, schema_editor):
    Rules = apps.get_model("emulation", "GradingRules")
    Rules.objects.create(kind="group", effective_on=SINCE, rules=GROUP_RULES)
    Rules.objects.create(kind="commune_association", effective_on=SINCE, rules=COMMUNE_ASSOCIATION_RULES)


def remove_defaults(apps, schema_editor):
    apps.get_model("emulation", "GradingRules").objects.filter(effective_on=SINCE).delete()


class Migration(migrations.Migration):
    dependencies = [("emulation", "0002_targets_2020")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
