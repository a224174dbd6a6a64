from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Tổ chức: xã, hội, tổ TK&VV, tổ viên"
