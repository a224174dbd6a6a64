from django.db import migrations

from vbsp_district.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_issued_report")]
    operations = [append_only("reports_issuedreport")]
