"""Organization pages: groups and members (registries and their forms), and the outreach
the associations record: group meetings, trainings, news items, commune broadcasts."""

from django.urls import path

from . import views

urlpatterns = [
    path("members/new/", views.member_register, name="member_register"),
    path("members/<national_id:national_id>/move/", views.member_move, name="member_move"),
    path("communes/<key:code>/transaction-day/", views.commune_transaction_day, name="commune_transaction_day"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<key:code>/transfer/", views.group_transfer, name="group_transfer"),
    # Group meetings: on time when held 3 to 5 days before the commune's transaction day.
    path("meetings/", views.meeting_overview, name="meeting_overview"),
    path("groups/<key:code>/meetings/", views.group_meetings, name="group_meetings"),
    path("groups/<key:code>/meetings/new/", views.meeting_record, name="meeting_record"),
    path("groups/<key:code>/meetings/timing/", views.meeting_timing_hint, name="meeting_timing"),
    path("groups/<key:code>/meetings/<int:pk>/edit/", views.meeting_update, name="meeting_update"),
    # Outreach: trainings, news items, and news on the commune loudspeaker (broadcasts).
    path("trainings/", views.training_list, name="training_list"),
    path("trainings/new/", views.training_record, name="training_record"),
    path("trainings/<int:pk>/edit/", views.training_update, name="training_update"),
    path("news/", views.news_item_list, name="news_item_list"),
    path("news/new/", views.news_item_record, name="news_item_record"),
    path("news/<int:pk>/edit/", views.news_item_update, name="news_item_update"),
    path("broadcasts/", views.broadcast_list, name="broadcast_list"),
    path("broadcasts/new/", views.broadcast_record, name="broadcast_record"),
    path("broadcasts/<int:pk>/edit/", views.broadcast_update, name="broadcast_update"),
]
