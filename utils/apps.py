import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("settlement")


class UtilsConfig(AppConfig):
    name = "utils"
    verbose_name = "Shared plumbing"

    def ready(self):
        from django.contrib import admin

        from utils import schema  # noqa: F401  registers the OpenAPI auth extension
        from utils.admin import guard_every_admin

        guard_every_admin(admin.site)  # every admin is registered by now (the admin app is first)

        db = settings.DATABASES["default"]
        engine = db["ENGINE"].rsplit(".", 1)[-1]
        where = (
            db["NAME"] if engine == "sqlite3" else f"{db.get('HOST')}:{db.get('PORT')}/{db['NAME']}"
        )
        from utils.redis import describe

        logger.info("Database: %s %s; Redis: %s", engine, where, describe())
