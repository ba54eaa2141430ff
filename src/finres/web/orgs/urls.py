from django.urls import path

from finres.web.orgs import views

app_name = "orgs"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("second-factor/", views.SecondFactorView.as_view(), name="second_factor"),
    path("organisation/select/", views.SelectOrganisationView.as_view(), name="select"),
    path("organisation/profile/", views.ProfileView.as_view(), name="profile"),
    path("organisation/members/", views.MemberListView.as_view(), name="members"),
    path("organisation/members/add/", views.MemberAddView.as_view(), name="member_add"),
    path("api-token/", views.ApiTokenView.as_view(), name="api_token"),
]
