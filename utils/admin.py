"""What the project's admin pages share: a forged id is refused, never a 500.

Django's admin filters the rows an action runs on by the ids the changelist posted
(`_selected_action`); a value that is not an id (a forged post) makes that filter raise, a 500.
`SelectionGuard` refuses such a post with a message and runs nothing; `guard_every_admin`
(utils/apps.py, once every admin is registered) puts it in front of every ModelAdmin, ours and the
other apps' (django-axes', auth's groups). `IdsChoiceField` and `IdsOnlySearch` do the same for an
action's own form and its search boxes.
"""

import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from redis.exceptions import RedisError

from utils.ids import parse_id
from utils.redis import UNAVAILABLE

logger = logging.getLogger("settlement")


def ids_only(values) -> list:
    """The values that are ids (utils.ids.parse_id), for a widget or a filter built on them."""
    return [value for value in values if parse_id(value) is not None]


class IdsOnlySearch:
    """For an admin search box (an Autocomplete widget): re-rendering a refused form must not
    query with a value that is not an id."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, ids_only(value), attr)  # type: ignore[misc]


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Rows chosen by id; a value that is not an id is the field's own error (Django's would
    query with it first, and a number past the column's range crashes SQLite's driver)."""

    def clean(self, value):
        for item in value or []:
            if parse_id(item) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super().clean(value)


class SelectionGuard(admin.ModelAdmin):
    def response_action(
        self, request: HttpRequest, queryset: QuerySet, *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if len(ids_only(selected)) != len(selected):
            self.message_user(request, "所选条目无效 / not a valid selection", messages.ERROR)
            return None
        return super().response_action(request, queryset, *args, **kwargs)


def guard_every_admin(site: admin.AdminSite) -> None:
    """Register every ModelAdmin of `site` that is not a SelectionGuard again as one (a subclass
    of both: the rest of its behaviour unchanged)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, SelectionGuard):
            continue
        cls = type(model_admin)
        guarded = type(
            f"Guarded{cls.__name__}", (SelectionGuard, cls), {"__module__": cls.__module__}
        )
        site.unregister(model)
        site.register(model, guarded)


def unless_redis_is_down(model_admin: admin.ModelAdmin, request: HttpRequest, view: Callable):
    """`view()`, or, when Redis cannot be reached (an account's save tells Redis first, so that
    its old tokens end: course/signals.py), the same page again with a message instead of a 500.
    The save is refused before the row changes (or rolled back with the admin's transaction)."""
    try:
        return view()
    except (RedisError, *UNAVAILABLE):
        logger.warning("admin change refused: Redis unavailable", exc_info=True)
        model_admin.message_user(
            request,
            "Redis 不可用,未保存,请稍后再试 / Redis is unavailable: not saved, try again",
            messages.ERROR,
        )
        return HttpResponseRedirect(request.get_full_path())
