"""Organization pages: groups and members (registries and their forms)."""

from django.urls import path

from . import views

urlpatterns = [
    path("members/new/", views.member_register, name="member_register"),
    path("members/<national_id:national_id>/move/", views.member_move, name="member_move"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<key:code>/transfer/", views.group_transfer, name="group_transfer"),
    path("groups/<key:code>/meetings/new/", views.meeting_record, name="meeting_record"),
]
