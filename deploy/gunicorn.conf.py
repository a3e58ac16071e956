"""gunicorn in production: `gunicorn -c deploy/gunicorn.conf.py settlement_project.wsgi`.

Meant to sit behind a buffering reverse proxy (deploy/nginx.conf): nginx reads a slow client's
request in full before passing it on and takes the response at once, so a worker only ever talks
to nginx over the loopback. The gthread workers are the second line: an idle keep-alive connection
waits in the worker's poller, not in a thread, and a slow request holds one thread of
workers × threads, not a whole worker. Every value can be changed from the environment.

Under a saturated CPU the gthread workers' tail is long (docs/production.md, "gunicorn"): where
no request waits on a slow gateway, GUNICORN_WORKER_CLASS=sync keeps p99 within 2-3× p50.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # nginx in front; not public
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"  # or "sync": see below
threads = _int("GUNICORN_THREADS", 4)  # each thread may hold a PostgreSQL connection
timeout = _int("GUNICORN_TIMEOUT", 30)  # a worker silent this long is killed and replaced
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # nginx keeps upstream connections open (keepalive 16)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)  # recycle workers: bounded memory growth
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Above nginx's own limits (deploy/nginx.conf: 4k header and request lines, 16k of headers), so
# that nginx refuses an oversized request first, with the API's envelope; gunicorn's limits only
# guard against a client that reached it around nginx (it would answer its HTML page).
limit_request_line = 8190
limit_request_fields = 1000
limit_request_field_size = 8190

# Only the proxy on this host may set X-Forwarded-Proto/-For for gunicorn itself; Django decides
# from SECURE_PROXY_SSL_HEADER and NUM_PROXIES (README, Configuration).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # set empty: no access log
errorlog = "-"
