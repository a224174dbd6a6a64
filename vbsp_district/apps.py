from django.apps import AppConfig


class VbspDistrictConfig(AppConfig):
    name = "vbsp_district"
    verbose_name = "Phòng giao dịch NHCSXH huyện"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .access import middleware
        from .core import converters

        converters.register()
        user_logged_in.connect(middleware.session_stamp, dispatch_uid="vbsp_session_stamp")
