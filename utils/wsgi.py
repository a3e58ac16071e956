"""What the WSGI server hands Django that Django would misread, put right before it does.

A request body sent with `Transfer-Encoding: chunked` has no Content-Length; gunicorn decodes the
chunks (and says so with `wsgi.input_terminated`), but Django reads only as many bytes as
Content-Length says, so such a body read as empty and a good request was answered "field
missing" (1002). `chunked_bodies` reads the decoded body first, at most one byte past
DATA_UPLOAD_MAX_MEMORY_SIZE, and gives Django its length: a body over the limit is refused as one
with a Content-Length would be (1002, 400), never half read.
"""

import io

from django.conf import settings


def chunked_bodies(app):
    """Wrap a WSGI application so that a chunked request body reaches Django whole."""

    def wrapped(environ, start_response):
        if (
            not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read(-1 if limit is None else limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return wrapped
