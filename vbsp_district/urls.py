from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("quan-tri/", admin.site.urls),
    path("", include("groups.urls")),
    path("", include("lending.urls")),
    path("", include("reporting.urls")),
]

admin.site.site_header = "NHCSXH – Phòng giao dịch huyện"
admin.site.site_title = "vbsp-district"
