from django.db import migrations

from vbsp_district.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("lending", "0002_programs")]
    operations = [append_only("lending_loantransaction", "lending_savingstransaction")]
