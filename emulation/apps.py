from django.apps import AppConfig


class EmulationConfig(AppConfig):
    name = "emulation"
    verbose_name = "Thi đua"

    def ready(self):
        from reporting import store

        from . import grading, signals

        # the grades follow the stored month-end figures: built, settled and checked with them
        store.register(store.Derived("grades", grading.on_stored, grading.differences))
        signals.connect()
