from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Báo cáo quý"

    def ready(self):
        from vbsp_district.core.signals import quarter_closed

        from .services import issue_on_close

        # a closed quarter's reports are issued in the closing's own transaction
        quarter_closed.connect(issue_on_close, dispatch_uid="reports.issue_on_close")
