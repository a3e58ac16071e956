from django.apps import AppConfig


class CourseConfig(AppConfig):
    name = "course"
    verbose_name = "课程与账户"
