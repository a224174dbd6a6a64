from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "lending"
    verbose_name = "Cho vay: chương trình, món vay, sổ giao dịch"
