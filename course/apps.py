from django.apps import AppConfig


class CourseConfig(AppConfig):
    name = "course"
    verbose_name = "课程与账户"

    def ready(self):
        from course import signals  # noqa: F401  connects the catalogue's invalidation
