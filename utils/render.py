"""Render plain data through a DRF serializer's declared fields, fast.

An output serializer is the one definition of a wire shape (and the schema's source), but DRF's
own `to_representation` costs several times a hand-written dict on hot answers (a settlement of
50 courses renders about 150 coupon objects). `Renderer(serializer)` walks the same fields once,
up front, and renders a mapping or object with the fields' own `to_representation`: the same
output as DRF's (tests/pay/test_coupon_object.py holds them equal), at a hand-written dict's cost.

Supported: plain data (a mapping, or an object whose attributes are values, not methods to call),
fields whose `source` is one key or attribute (no dots), nested serializers, `many=True` lists of
them, and `DictField`s of them; a serializer that overrides `to_representation` renders through
its own.
"""

from collections.abc import Callable, Mapping
from typing import Any

from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


def _converter(field: serializers.Field) -> Callable[[Any], Any]:
    if isinstance(field, serializers.ListSerializer):
        assert field.child is not None  # a ListSerializer always has its child
        child = _converter(field.child)
        return lambda value: [child(item) for item in value]
    if isinstance(field, serializers.Serializer):
        if type(field).to_representation is not serializers.Serializer.to_representation:
            return field.to_representation
        return Renderer(field)
    if isinstance(field, serializers.DictField) and isinstance(field.child, serializers.Serializer):
        child = _converter(field.child)
        return lambda value: {str(key): child(item) for key, item in value.items()}
    kind = type(field)
    if kind is serializers.IntegerField:
        return int  # IntegerField.to_representation is int(value)
    if kind is serializers.CharField:
        return str  # CharField.to_representation is str(value)
    if isinstance(field, serializers.DateField) and kind is serializers.DateField and _iso(field):
        return _isoformat  # a date (not a string) in ISO 8601, as DateField writes it
    return field.to_representation


def _iso(field: serializers.DateField) -> bool:
    output = getattr(field, "format", api_settings.DATE_FORMAT)
    return isinstance(output, str) and output.lower() == ISO_8601


def _isoformat(value: Any) -> Any:
    return value if isinstance(value, str) else value.isoformat()


class Renderer:
    """`Renderer(SomeSerializer())(instance)` == `SomeSerializer().to_representation(instance)`."""

    def __init__(self, serializer: serializers.Serializer) -> None:
        self.plan: list[tuple[str, str, Callable[[Any], Any]]] = []
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            source = field.source or name  # bound fields always have their source
            if "." in source or source == "*":
                raise ValueError(f"{name}: only one-step sources render fast")
            self.plan.append((name, source, _converter(field)))

    def __call__(self, instance: Any) -> dict[str, Any]:
        if isinstance(instance, Mapping):
            return {
                name: None if (value := instance[source]) is None else convert(value)
                for name, source, convert in self.plan
            }
        return {
            name: None if (value := getattr(instance, source)) is None else convert(value)
            for name, source, convert in self.plan
        }
