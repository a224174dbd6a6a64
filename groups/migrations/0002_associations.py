from django.db import migrations

ASSOCIATIONS = [
    ("HND", "Hội Nông dân", "Hội ND", 1),
    ("HPN", "Hội Liên hiệp Phụ nữ", "Hội PN", 2),
    ("CCB", "Hội Cựu chiến binh", "Hội CCB", 3),
    ("DTN", "Đoàn Thanh niên", "Đoàn TN", 4),
]


def create(apps, schema_editor):
    Association = apps.get_model("groups", "Association")
    for code, name, short_name, position in ASSOCIATIONS:
        Association.objects.update_or_create(
            code=code, defaults={"name": name, "short_name": short_name, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
