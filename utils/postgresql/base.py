"""Django's PostgreSQL backend, whose connection pool checks a connection it hands out without
a round trip (`pool_check.connection_alive`) instead of Django's choice between an empty query
on every checkout (CONN_HEALTH_CHECKS) and no check at all. settings.py names this engine for a
PostgreSQL DATABASE_URL; everything else is Django's."""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base

from utils.postgresql.pool_check import connection_alive


class DatabaseWrapper(base.DatabaseWrapper):
    _connection_pools: dict[str, Any]  # Django's, shared by the class (not in the stubs)

    @property
    def pool(self):
        """Django's `pool`, built as Django builds it, with `connection_alive` as its check."""
        options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == base.NO_DB_ALIAS or not options:  # type: ignore[attr-defined]
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            from psycopg_pool import ConnectionPool

            kwargs = {**self.get_connection_params(), "autocommit": True}
            pool = ConnectionPool(
                kwargs=kwargs,
                open=False,
                configure=self._configure_connection,  # type: ignore[attr-defined]
                check=connection_alive,
                **({} if options is True else options),
            )
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]
