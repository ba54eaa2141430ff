from django.urls import path

from finres.web.orgs import people, sso, views

app_name = "orgs"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("second-factor/", views.SecondFactorView.as_view(), name="second_factor"),
    path("organisation/select/", views.SelectOrganisationView.as_view(), name="select"),
    path("organisation/profile/", views.ProfileView.as_view(), name="profile"),
    path("organisation/members/", people.MemberListView.as_view(), name="members"),
    path(
        "organisation/members/<int:pk>/action/",
        people.MemberActionView.as_view(),
        name="member_action",
    ),
    path("organisation/invitations/", people.InvitationCreateView.as_view(), name="invite"),
    path(
        "organisation/invitations/<int:pk>/withdraw/",
        people.InvitationRevokeView.as_view(),
        name="invitation_withdraw",
    ),
    path("invitation/<str:token>/", people.InvitationView.as_view(), name="invitation"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("sso/start/", sso.SSOStartView.as_view(), name="sso_start"),
    path("sso/callback/", sso.SSOCallbackView.as_view(), name="sso_callback"),
    path("api-token/", views.ApiTokenView.as_view(), name="api_token"),
]
