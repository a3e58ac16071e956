"""Login throttling, stored in the shared cache (Redis), so it holds across workers.

The client address is DRF's: REMOTE_ADDR, or with `NUM_PROXIES` (REST_FRAMEWORK) set, the address
that many trusted proxies from the right of X-Forwarded-For. With the default 0 a client cannot
choose its address by sending X-Forwarded-For.
"""

import hashlib

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_address(request) -> str:
    """The client's address as DRF's throttles see it (also the admin lockout's, django-axes)."""
    return BaseThrottle().get_ident(request)


class LoginRateThrottle(SimpleRateThrottle):
    """Counts login attempts per client address; the rate is `settings.LOGIN_THROTTLE_RATE`."""

    scope = "login"

    def get_rate(self):
        return settings.LOGIN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SimpleRateThrottle):
    """Counts login attempts per username from every address (`LOGIN_USERNAME_THROTTLE_RATE`),
    so a guess at one account spread over many addresses is slowed too. A body without a
    username is not counted here (it fails validation anyway)."""

    scope = "login_username"

    def get_rate(self):
        return settings.LOGIN_USERNAME_THROTTLE_RATE

    def get_cache_key(self, request, view):
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username:
            return None
        # Case-folded (ALEX and alex are one guess target) and hashed (any length, any bytes).
        ident = hashlib.sha256(username.casefold().encode("utf-8", "replace")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
