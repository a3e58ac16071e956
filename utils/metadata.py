"""OPTIONS on an API route: DRF's metadata (name, description, media types), in the envelope.

Answered rather than turned off: every API answer advertises OPTIONS in its `Allow` header, and
OPTIONS is how a generic HTTP client asks what a route accepts; the body holds nothing beyond the
OpenAPI schema's. CORS preflights never reach it (django-cors-headers answers them first).
"""

from rest_framework.metadata import SimpleMetadata

from utils.response import BaseResponse


class EnvelopeMetadata(SimpleMetadata):
    def determine_metadata(self, request, view):
        return BaseResponse(data=super().determine_metadata(request, view)).dict
