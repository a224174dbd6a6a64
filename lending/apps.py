from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "lending"
    verbose_name = "Cho vay: chương trình, món vay, sổ giao dịch"

    def ready(self):
        from groups import hooks
        from vbsp_district.core import closing

        from .selectors import entrusted_debts, first_closed_from
        from .services.interest import members_rebilled

        closing.register(first_closed_from)
        hooks.register(entrusted_debts=entrusted_debts, rebilling=members_rebilled)
