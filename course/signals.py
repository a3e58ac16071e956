"""Invalidate the cached catalogue (course/catalogue.py) when a course or a price changes."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from course.catalogue import catalogue_changed
from course.models import Course, PricePolicy


@receiver([post_save, post_delete], sender=Course)
@receiver([post_save, post_delete], sender=PricePolicy)
def _catalogue_changed(sender, **kwargs):
    # Now, and again once the change is visible to other connections (a reader between the two
    # may have cached the old rows under the generation this first bump made current).
    catalogue_changed()
    transaction.on_commit(catalogue_changed)
