"""Content negotiation that always answers: an `Accept` header naming nothing this service
renders (application/xml, text/csv, ...) gets the JSON envelope instead of DRF's NotAcceptable,
which the error path could not render either (it has no renderer chosen yet: a 500)."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JSONFallbackNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = renderers[0]  # the project's JSON renderer comes first
            return renderer, renderer.media_type
