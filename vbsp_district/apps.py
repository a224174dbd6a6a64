from django.apps import AppConfig


class VbspDistrictConfig(AppConfig):
    name = "vbsp_district"
    verbose_name = "Phòng giao dịch NHCSXH huyện"
