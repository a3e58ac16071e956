from django.urls import path

from course import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout/all/", views.LogoutEverywhereView.as_view(), name="logout-all"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("courses/", views.CourseListView.as_view(), name="course-list"),
    path("courses/<int:pk>/", views.CourseDetailView.as_view(), name="course-detail"),
]
