from django.db import migrations

from vbsp_district.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("vbsp_district", "0001_initial")]
    operations = [append_only("vbsp_district_auditevent")]
