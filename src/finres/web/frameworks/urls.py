from django.urls import path

from finres.web.frameworks import views

app_name = "frameworks"
urlpatterns = [
    path("", views.FrameworkListView.as_view(), name="list"),
    path("<str:code>/", views.FrameworkDetailView.as_view(), name="detail"),
    path(
        "<str:code>/<str:requirement>/", views.RequirementDetailView.as_view(), name="requirement"
    ),
]
