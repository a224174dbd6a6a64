from django.apps import AppConfig
from django.db.backends.signals import connection_created


def postgresql_session_setup(sender, connection, **kwargs):
    """Turn PostgreSQL's JIT compiler off for the session.

    The district report is one statement of some forty CTEs: above `jit_above_cost` the
    server spends seconds compiling it, several times what running it costs, and the
    estimate crosses that line as the book grows. Nothing this application runs gains
    from JIT.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Báo cáo và chỉ tiêu"

    def ready(self):
        connection_created.connect(postgresql_session_setup, dispatch_uid="reporting.postgresql_session_setup")
        from . import signals

        signals.connect()
