"""OpenAPI helpers: the envelope around every response, and the token scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class RedisTokenScheme(OpenApiAuthenticationExtension):
    target_class = "utils.authentication.RedisTokenAuthentication"
    name = "TokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` from POST /api/login/ (a bare token or an "
            "`Authentication: <token>` header also work).",
        }


def envelope(name: str, data=None, many: bool = False) -> OpenApiResponse:
    """The envelope `{code, data, error}` with `data` of the given serializer (or null)."""
    data_field: serializers.Field
    if data is None:
        data_field = serializers.JSONField(allow_null=True, required=False)
    elif isinstance(data, serializers.Field):
        data_field = data
    else:
        data_field = data(many=many, allow_null=True)
    return OpenApiResponse(
        inline_serializer(
            name=name,
            fields={
                "code": serializers.IntegerField(),
                "data": data_field,
                "error": serializers.CharField(allow_null=True),
            },
        )
    )


ERROR_ENVELOPE = envelope("ErrorEnvelope")
