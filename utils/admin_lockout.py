"""django-axes for the admin login only.

`AXES_ONLY_ADMIN_SITE` only keeps axes from refusing other logins; its handler still records every
failed `authenticate()` (the API login's too) and its middleware then answers a locked-out API
login with its own HTML page, outside the envelope. This handler records only admin logins; the
API login has its own throttles (utils/throttling.py).
"""

from axes.handlers.database import AxesDatabaseHandler


class AdminLoginHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_logged_out(sender, request, user, **kwargs)
