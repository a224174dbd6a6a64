from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("communes/", views.commune_list, name="commune_list"),
    path("communes/<key:code>/", views.commune_detail, name="commune_detail"),
    path("groups/<key:code>/", views.group_detail, name="group_detail"),
    path("members/<national_id:national_id>/", views.member_detail, name="member_detail"),
    # A loan number is the bank's own key and may contain a slash (vbsp_district/core/converters.py).
    path("loans/<loan_no:loan_no>/", views.loan_detail, name="loan_detail"),
    path("search/", views.search, name="search"),
]
