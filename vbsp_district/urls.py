from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("dang-nhap/", auth_views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("quan-tri/", admin.site.urls),
    path("", include("reporting.urls")),
]

admin.site.site_header = "NHCSXH – Phòng giao dịch huyện"
admin.site.site_title = "vbsp-district"
