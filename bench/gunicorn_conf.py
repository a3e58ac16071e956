"""gunicorn settings for the benchmarks (bench/common.py's Gunicorn passes `-c` this file).

Only what a benchmark needs beside its command line (workers, bind): no access log, and the
prometheus_client multiprocess clean-up that a production config needs too (README, "Metrics").
"""

import os

accesslog = None


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
