"""Wrong guesses of redemption codes, counted per account in the shared cache (Redis).

Only wrong codes count (a buyer redeeming ten good codes is never slowed): `wrong_guess` adds one
to a fixed window that starts with the first wrong guess; once the account has made
`settings.REDEEM_THROTTLE_RATE` wrong guesses (default `10/hour`), `RedeemGuessThrottle` refuses
every redemption of that account with 1004 (HTTP 429, `Retry-After`) until the window ends.
"""

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def _key(account_id: int) -> str:
    return f"redeem_wrong_guesses_{account_id}"


def _rate() -> tuple[int, int]:
    # DRF's parser of "10/hour" reads nothing from its instance, hence None for self
    num, duration = SimpleRateThrottle.parse_rate(None, settings.REDEEM_THROTTLE_RATE)  # type: ignore[arg-type]
    assert num is not None and duration is not None  # only a None rate parses to (None, None)
    return num, duration


def wrong_guess(*, account_id: int) -> None:
    _, duration = _rate()
    key = _key(account_id)
    cache.add(key, 0, timeout=duration)  # starts the window; no-op while it runs
    try:
        cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=duration)


def guesses_left(*, account_id: int) -> int:
    num, _ = _rate()
    return max(0, num - int(cache.get(_key(account_id)) or 0))


class RedeemGuessThrottle(BaseThrottle):
    """Refuses an account's redemptions while it is out of wrong guesses."""

    def allow_request(self, request, view) -> bool:
        self.account_id = getattr(request.user, "pk", None)
        return self.account_id is None or guesses_left(account_id=self.account_id) > 0

    def wait(self) -> float | None:
        ttl = getattr(cache, "ttl", None)  # django-redis: seconds left in the window
        if self.account_id is None:  # never refused (allow_request lets anonymous through)
            return None
        seconds = ttl(_key(self.account_id)) if ttl else None
        return float(seconds) if seconds and seconds > 0 else None
