"""Shared set-up for the benchmarks: environment, Django, data factories, statistics, tables,
results files, a gunicorn server and two load generators (wrk, and a Python one).

Every benchmark runs against the machine's real services on loopback only:

- PostgreSQL database `bench` (created here if missing, migrated, flushed at each start),
- Redis database 14 (FLUSHDB'd at each start; never any other database),

so a benchmark never touches the development database, the test database or Redis /15.
"""

from __future__ import annotations

import csv
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
VENV_BIN = REPO / ".venv" / "bin"
HOST = "127.0.0.1"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = os.environ.get("BENCH_DB", "bench")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "14"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
RICH = 10**9  # 贝里 for accounts that must never run out

if REDIS_DB in (0, 15):
    raise SystemExit("BENCH_REDIS_DB must not be 0 (development) or 15 (tests)")


# --- Environment and Django -------------------------------------------------------------------


def bench_env(**overrides: str) -> dict[str, str]:
    """The service's settings for a benchmark (README "Configuration"), production-like."""
    env = {
        "DJANGO_SETTINGS_MODULE": "settlement_project.settings",
        "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}",
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 32,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback (production: HTTPS only)
        "LOGIN_THROTTLE_RATE": "1000000/min",
        "LOGIN_USERNAME_THROTTLE_RATE": "1000000/min",
        "SHOPPING_CAR_LIMIT": "60",
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


def ensure_database() -> None:
    """CREATE DATABASE bench unless it exists (idempotent; safe if two runs race)."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
            except psycopg.errors.DuplicateDatabase:
                pass


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds `with Gunicorn(...)`: server stopped


def setup_django(**overrides: str) -> None:
    """Environment, database, django.setup(), migrate, then a clean database and Redis /14."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    os.environ.update(bench_env(**overrides))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    RESULTS.mkdir(parents=True, exist_ok=True)
    # whitenoise warns once that STATIC_ROOT was never collected: irrelevant to an API benchmark
    warnings.filterwarnings("ignore", message="No directory at")
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    reset_state()


def reset_state() -> None:
    """Empty the bench database (Django's flush) and FLUSHDB Redis /14, and only those."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    from utils.redis import get_redis, set_redis

    call_command("flush", verbosity=0, interactive=False)
    ContentType.objects.clear_cache()
    set_redis(None)
    client = get_redis()
    db = client.connection_pool.connection_kwargs.get("db")
    if db != REDIS_DB:
        raise SystemExit(f"refusing to FLUSHDB Redis db {db!r} (expected {REDIS_DB})")
    client.flushdb()


# --- Data factories (after setup_django) ------------------------------------------------------


def make_courses(count: int, prefix: str = "bench", prices=("99.00", "149.00")):
    """`count` courses on sale, each with one policy per price (30, 60, 90... days).
    Returns [(course, [policies])]."""
    from django.contrib.contenttypes.models import ContentType

    from course.models import Course, PricePolicy

    periods = [30, 60, 90, 180, 360]
    courses = Course.objects.bulk_create(
        [Course(name=f"{prefix}-{i}", order=i, course_img=f"/img/{i}.png") for i in range(count)]
    )
    course_type = ContentType.objects.get_for_model(Course)
    policies = PricePolicy.objects.bulk_create(
        [
            PricePolicy(
                content_type=course_type,
                object_id=course.pk,
                valid_period=periods[j],
                price=Decimal(price),
            )
            for course in courses
            for j, price in enumerate(prices)
        ]
    )
    per = len(prices)
    return [(course, policies[i * per : (i + 1) * per]) for i, course in enumerate(courses)]


def make_accounts(count: int, prefix: str, beili: int = RICH):
    """`count` accounts (no usable password: the benchmarks use tokens), each given `beili`
    through the ledger (a 收入 row), as the product does."""
    from course.models import Account
    from pay.ledger import beili_change
    from pay.models import TransactionRecord

    accounts = Account.objects.bulk_create(
        [Account(username=f"{prefix}-{i}", password="!") for i in range(count)]
    )
    for account in accounts:
        if beili:
            beili_change(
                account=account, amount=beili, transaction_type=TransactionRecord.TYPE_INCOME
            )
    return accounts


def token_for(account) -> str:
    from utils.token_store import token_create

    return token_create(account=account)


def make_rule(course=None, **fields):
    """A valid coupon rule (通用券 10.00 unless told), global unless `course` is given."""
    from datetime import timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from course.models import Course
    from pay.models import Coupon

    today = timezone.localdate()
    values = {
        "name": "bench coupon",
        "coupon_type": Coupon.TYPE_GENERAL,
        "money_equivalent_value": Decimal("10.00"),
        "open_date": today - timedelta(days=1),
        "close_date": today + timedelta(days=30),
        "valid_begin_date": today - timedelta(days=1),
        "valid_end_date": today + timedelta(days=30),
        "per_account_limit": 100,
    }
    if course is not None:
        values["content_type"] = ContentType.objects.get_for_model(Course)
        values["object_id"] = course.pk
    values.update(fields)
    return Coupon.objects.create(**values)


def give_records(rule, accounts, per_account: int = 1):
    """`per_account` unused records of `rule` for each account (one bulk INSERT)."""
    from django.db.models import Max
    from django.utils import timezone

    from pay.models import CouponRecord
    from pay.serials import new_serial

    held = dict(
        CouponRecord.objects.filter(coupon=rule, account__in=accounts)
        .values_list("account_id")
        .annotate(top=Max("claim_seq"))
    )
    now = timezone.now()
    return CouponRecord.objects.bulk_create(
        [
            CouponRecord(
                coupon=rule,
                account=account,
                number=new_serial("C") + uuid.uuid4().hex[:8].upper(),
                get_time=now,
                claim_seq=held.get(account.pk, 0) + seq,
            )
            for account in accounts
            for seq in range(1, per_account + 1)
        ]
    )


def api_client(token: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def ok_data(response) -> dict:
    """The envelope's data of an in-process response; raises unless code 1000."""
    body = response.json()
    if body.get("code") != 1000:
        raise RuntimeError(f"{response.request['REQUEST_METHOD']} answered {body}")
    return body["data"]


def settle_in_process(client, courses_policies) -> dict:
    """Put the courses in the cart and settle them (in-process); the settlement's data."""
    for course, policies in courses_policies:
        ok_data(
            client.post(
                "/api/shopping_car/",
                {"course_id": course.pk, "price_policy_id": policies[0].pk},
                format="json",
            )
        )
    ids = [course.pk for course, _ in courses_policies]
    return ok_data(client.post("/api/settlement/", {"course_list": ids}, format="json"))


def beili_for(payable: str, per_yuan: int = 10) -> int:
    """贝里 that cover `payable` (a money string) wholly, rounded up to a whole 贝里."""
    return math.ceil(Decimal(payable) * per_yuan)


# --- Statistics, tables, results -------------------------------------------------------------


def percentile(values, p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation; nan for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sample_interleaved(
    methods: dict[str, tuple], *, min_n: int = 3, warmup: int = 2
) -> dict[str, list[float]]:
    """Durations in ms of calls to several methods `{name: (fn, max_n, budget_s)}`, called in
    turns (one call of each still running per round) so that a noisy moment of the machine falls
    on all of them alike and their ratios hold. Each stops after `max_n` calls, or after
    `budget_s` seconds spent in it (at least `min_n` calls), after `warmup` unrecorded calls."""
    times: dict[str, list[float]] = {name: [] for name in methods}
    spent = dict.fromkeys(methods, 0.0)
    for name, (fn, _, _) in methods.items():
        for _ in range(warmup):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if elapsed > 0.5:  # so slow that warming up is noise beside it: keep it as a sample
                times[name].append(elapsed * 1000)
                spent[name] += elapsed
                break
    running = list(methods)
    while running:
        for name in list(running):
            fn, max_n, budget = methods[name]
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            times[name].append(elapsed * 1000)
            spent[name] += elapsed
            done = len(times[name])
            if done >= max_n or (done >= min_n and spent[name] >= budget):
                running.remove(name)
    return times


def fmt(value, digits: int = 2) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def print_table(title: str, headers: list[str], rows: list[list]) -> None:
    """A Markdown table: text left-aligned, numbers right-aligned."""
    cells = [[fmt(c) for c in row] for row in rows]
    numeric = [
        all(isinstance(row[i], int | float) for row in rows) if rows else False
        for i in range(len(headers))
    ]
    widths = [max(_width(h), *(_width(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}\n")
    print("| " + " | ".join(_pad(h, w, False) for h, w in zip(headers, widths, strict=True)) + " |")
    print(
        "|"
        + "|".join(
            "-" * (w + 1) + (":" if num else "-") for w, num in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    for row in cells:
        padded = (_pad(c, w, num) for c, w, num in zip(row, widths, numeric, strict=True))
        print("| " + " | ".join(padded) + " |")
    sys.stdout.flush()


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "python": sys.version.split()[0],
    }


def write_results(name: str, data: dict, headers: list[str], rows: list[list]) -> None:
    """bench/results/<name>.json (everything) and <name>.csv (the printed table)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine(), **data, "table": {"headers": headers, "rows": rows}}
    (RESULTS / f"{name}.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    )
    with (RESULTS / f"{name}.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
    print(f"\nresults: {RESULTS / name}.json, .csv")


# --- A gunicorn server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def gthread_workers(threads: int) -> bool:
    """gthread workers: with more than one thread, or with one (BENCH_WORKER_CLASS=gthread)."""
    return threads > 1 or os.environ.get("BENCH_WORKER_CLASS") == "gthread"


def worker_kind(threads: int) -> str:
    """The worker class as gunicorn's command line says it (and the idle keep-alive, if set)."""
    kind = f"-k gthread --threads {threads}" if gthread_workers(threads) else "sync workers"
    keepalive = os.environ.get("BENCH_KEEPALIVE")
    return f"{kind} --keep-alive {keepalive}" if keepalive else kind


class Gunicorn:
    """`gunicorn settlement_project.wsgi` on a free loopback port, started and stopped by us
    (only this process and its workers, by the master's pid and process group)."""

    def __init__(
        self, name: str, *, workers: int = 2, threads: int = 1, port: int | None = None, **env: str
    ):
        """`env` overrides bench_env(). Metrics in prometheus_client's multiprocess mode, in a
        fresh bench/results/prometheus-<name>/ (as production runs several workers). The port:
        `port`, else $BENCH_PORT, else a free one."""
        self.name, self.workers, self.threads = name, workers, threads
        self.metrics_dir = RESULTS / f"prometheus-{name}"
        self.env = {
            **os.environ,
            **bench_env(**env),
            "PYTHONUNBUFFERED": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
        }
        self.port = port or int(os.environ.get("BENCH_PORT") or 0) or free_port()
        self.log_path = RESULTS / f"gunicorn-{name}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "settlement_project.wsgi",
            "-c",
            str(BENCH / "gunicorn_conf.py"),
            "-w",
            str(self.workers),
            "-b",
            f"{HOST}:{self.port}",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        if gthread_workers(self.threads):
            cmd += ["-k", "gthread", "--threads", str(self.threads)]
        if os.environ.get("BENCH_KEEPALIVE"):  # seconds gunicorn keeps an idle connection
            cmd += ["--keep-alive", os.environ["BENCH_KEEPALIVE"]]
        RESULTS.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.metrics_dir.mkdir()
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                status, _, _ = Http(self.port, timeout=2).call("GET", "/api/courses/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer in 30 s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self._log.close()
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group only
            self.proc.wait(timeout=5)
        self._log.close()

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc (Linux): what a
        request costs the server however busy the machine is with other work."""
        if self.proc is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return 0.0
        for pid in children.split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14, 15)
        return total / tick

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def errors_logged(self) -> int:
        """Tracebacks in the server log (an unhandled exception in a request)."""
        try:
            return self.log_path.read_text().count("Traceback")
        except OSError:
            return 0


def gunicorn_version() -> str:
    try:
        out = subprocess.run(
            [str(VENV_BIN / "gunicorn"), "--version"], capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# --- HTTP client (stdlib, keep-alive when the server allows it) ------------------------------


class Http:
    """One connection to the service; reconnects when the server closes it (sync workers)."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 30):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def call(self, method: str, path: str, body=None, token: str | None = None, headers=None):
        """(HTTP status, envelope dict or None if not JSON, milliseconds)."""
        sent = {"Accept": "application/json"}
        token = token or self.token
        if token:
            sent["Authorization"] = f"Token {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        start = time.perf_counter()
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=payload, headers=sent)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # a kept-alive connection the server had closed: once more
                if attempt:
                    raise
        elapsed = (time.perf_counter() - start) * 1000
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        try:
            envelope = json.loads(raw)
        except ValueError:
            envelope = None
        return response.status, envelope, elapsed

    def close(self) -> None:
        self.conn.close()


def code_of(status: int, envelope) -> str:
    """A label for an answer: the envelope's code, or `HTTP <status>` when there is none."""
    if isinstance(envelope, dict) and "code" in envelope:
        return str(envelope["code"])
    return f"HTTP {status}"


@dataclass
class Tally:
    """Latencies and answer codes per step, filled by several threads."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    codes: dict[str, Counter] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, status: int, envelope, ms: float) -> None:
        with self.lock:
            self.latencies.setdefault(step, []).append(ms)
            self.codes.setdefault(step, Counter())[code_of(status, envelope)] += 1

    def ok(self, step: str) -> int:
        return self.codes.get(step, Counter())["1000"]

    def bad(self, step: str) -> int:
        return sum(n for code, n in self.codes.get(step, Counter()).items() if code != "1000")


def run_threads(count: int, target, *, join_timeout: float) -> None:
    """Run `target(i)` in `count` threads and wait for them (bounded)."""
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + join_timeout
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    alive = sum(thread.is_alive() for thread in threads)
    if alive:
        print(f"WARNING: {alive} load threads still running after {join_timeout:.0f} s")


@dataclass
class Request:
    """One request a load generator may send (wrk or Python)."""

    method: str
    path: str
    token: str | None = None
    body: dict | None = None


def python_load(
    port: int, requests: list[Request], *, duration: float, threads: int, step: str = "request"
) -> dict:
    """Send `requests` round-robin from `threads` threads for `duration` seconds (the fallback when
    wrk is missing, and the same-tool baseline of the flow)."""
    tally = Tally()
    deadline = time.monotonic() + duration

    def work(i: int) -> None:
        http = Http(port)
        n = i * max(1, len(requests) // (2 * threads))
        while time.monotonic() < deadline:
            req = requests[n % len(requests)]
            n += 1
            status, envelope, ms = http.call(req.method, req.path, req.body, token=req.token)
            tally.add(step, status, envelope, ms)
        http.close()

    start = time.monotonic()
    run_threads(threads, work, join_timeout=duration + 60)
    elapsed = time.monotonic() - start
    lat = tally.latencies.get(step, [])
    return {
        "tool": f"python x{threads}",
        "requests": len(lat),
        "seconds": elapsed,
        "rps": len(lat) / elapsed,
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "ok": tally.ok(step),
        "bad": tally.bad(step),
        "codes": dict(tally.codes.get(step, {})),
    }


# --- wrk -------------------------------------------------------------------------------------

_WRK_LUA = """-- generated by bench/common.py: round-robin over REQUESTS, counts envelope codes
local requests = {
%(entries)s
}
local threads = {}
function setup(thread)
  thread:set("offset", #threads * %(spread)d)
  table.insert(threads, thread)
end
function init(args)
  n = offset or 0
  ok = 0
  bad = 0
end
function request()
  n = n + 1
  local r = requests[(n %% #requests) + 1]
  return wrk.format(r.method, r.path, r.headers, r.body)
end
function response(status, headers, body)
  if status == 200 and string.find(body, '"code":1000', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local okc, badc = 0, 0
  for _, t in ipairs(threads) do
    okc = okc + t:get("ok")
    badc = badc + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"ok":%%d,"bad":%%d,"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, okc, badc, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)  # a JSON string is a valid Lua string here


def write_wrk_script(name: str, requests: list[Request], spread: int) -> Path:
    entries = []
    for req in requests:
        headers = {"Accept": "application/json"}
        if req.token:
            headers["Authorization"] = f"Token {req.token}"
        body = "nil"
        if req.body is not None:
            headers["Content-Type"] = "application/json"
            body = _lua_string(json.dumps(req.body))
        header_lua = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        entries.append(
            f"  {{method = {_lua_string(req.method)}, path = {_lua_string(req.path)}, "
            f"headers = {{{header_lua}}}, body = {body}}},"
        )
    path = RESULTS / f"wrk-{name}.lua"
    path.write_text(_WRK_LUA % {"entries": "\n".join(entries), "spread": spread})
    return path


def ensure_wrk() -> str | None:
    """The wrk binary; installed from Debian when missing and we are root; None if impossible."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("wrk is missing and cannot be installed here (not root / no apt-get)")
        return None
    print("wrk is missing: apt-get install -y wrk ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for commands in (
        [["apt-get", "install", "-y", "-qq", "wrk"]],
        [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]],
    ):
        try:
            for command in commands:
                subprocess.run(command, env=env, check=True, timeout=180, capture_output=True)
            break
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"  {' '.join(command)} failed: {exc}")
    return shutil.which("wrk")


def wrk_load(
    wrk: str,
    port: int,
    name: str,
    requests: list[Request],
    *,
    duration: int,
    connections: int,
    threads: int = 2,
) -> dict:
    script = write_wrk_script(name, requests, spread=max(1, len(requests) // (2 * threads)))
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://{HOST}:{port}{requests[0].path}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]}
    return {
        "tool": f"wrk -t{threads} -c{connections}",
        "requests": raw["requests"],
        "seconds": seconds,
        "rps": raw["requests"] / seconds,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "ok": raw["ok"],
        "bad": raw["bad"],
        "socket_errors": errors,
    }
