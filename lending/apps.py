from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "lending"
    verbose_name = "Cho vay: chương trình, món vay, sổ giao dịch"

    def ready(self):
        from vbsp_district.core import closing

        from .selectors import first_closed_from

        closing.register(first_closed_from)
