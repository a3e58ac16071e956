"""Benchmark 1: does reading a settlement cost the same with 0, 100,000 or 1,000,000 unrelated
keys in Redis?

One account with 5 courses settled (a course coupon each, two global coupons, one chosen). At each
keyspace size, measured in this one process against the real Redis /14, one after the other:

- `ours GET`: the whole `GET /api/settlement/` in-process (Django test client: token lookup, one
  SQL query for the account, the settlement read, pricing, JSON rendering);
- `ours store`: only the Redis read of it (`settlement_store.settlement_read`: SMEMBERS of the
  index, then one MULTI of HGETALLs);
- `seed`: the seed's access pattern, `scan_iter("settlement_<user>_*")` then `hgetall` per key,
  plus `hgetall("global_coupon_<user>")`, with redis-py's default SCAN COUNT as the seed had;
- `seed COUNT 1000`: the same with a larger SCAN batch (what a quick fix of the seed might try).

The four are called in turns (one call each per round, each until its own count or time budget),
so a noisy moment of the shared machine falls on all of them alike. Ratios are against `ours GET`
of the same keyspace size, measured in the same run.
Noise keys (`noise:<n>`, short strings) come from DEBUG POPULATE when the server allows it,
otherwise from pipelined MSETs of 1,000 keys.
"""

import time

import common
import redis

LEVELS = (0, 100_000, 1_000_000)
COURSES = 5
NOISE_PREFIX = "noise"


def fill_noise(client, have: int, target: int) -> str:
    """Grow the noise keys `noise:0` .. `noise:<target-1>` from `have`; returns the method."""
    if target <= have:
        return "-"
    try:
        client.execute_command("DEBUG", "POPULATE", target, NOISE_PREFIX)
        return "DEBUG POPULATE"
    except redis.ResponseError:  # disabled by enable-debug-command (the default on Redis 7)
        pass
    batch, per_execute = 1000, 100
    with client.pipeline(transaction=False) as pipe:
        queued = 0
        for start in range(have, target, batch):
            stop = min(start + batch, target)
            pipe.mset({f"{NOISE_PREFIX}:{i}": "x" for i in range(start, stop)})
            queued += 1
            if queued == per_execute:
                pipe.execute()
                queued = 0
        pipe.execute()
    return "pipelined MSET"


def seed_get(client, user_id: int, count: int | None = None):
    """The seed's SettlementView.get, Redis part (seed lines 216-226)."""
    settlement_list = []
    for key in client.scan_iter(f"settlement_{user_id}_*", count=count):
        settlement_list.append(client.hgetall(key))
    global_coupon_info = client.hgetall(f"global_coupon_{user_id}")
    return settlement_list, global_coupon_info


def round_trips(fn) -> int:
    from tests.redis_counting import count_round_trips

    with count_round_trips() as trips:
        fn()
    return trips.count


def main() -> int:
    common.setup_django()
    import redis

    from pay.settlement_store import settlement_read
    from utils.redis import get_redis

    pairs = common.make_courses(COURSES, "keyspace")
    (account,) = common.make_accounts(1, "keyspace")
    for course, _ in pairs:
        common.give_records(common.make_rule(course, name=f"course {course.pk}"), [account])
    global_records = common.give_records(common.make_rule(name="global"), [account], 2)
    api = common.api_client(common.token_for(account))
    common.settle_in_process(api, pairs)
    common.ok_data(
        api.patch("/api/settlement/", {"global_coupon_id": global_records[0].pk}, format="json")
    )

    ours = get_redis()
    seed_client = redis.Redis.from_url(common.REDIS_URL, decode_responses=True)
    uid = account.pk

    def ours_get():
        return api.get("/api/settlement/")

    methods = {  # name: (call, at most this many calls, or until this many seconds spent)
        "ours GET": (ours_get, 300, 6.0),
        "ours store": (lambda: settlement_read(uid), 500, 3.0),
        "seed": (lambda: seed_get(seed_client, uid), 200, 6.0),
        "seed COUNT 1000": (lambda: seed_get(seed_client, uid, 1000), 200, 4.0),
    }

    headers = [
        "unrelated keys",
        "access",
        "samples",
        "p50 ms",
        "p95 ms",
        "Redis round trips",
        "p50 / ours GET",
        "p95 / ours GET",
    ]
    rows, fills, have = [], [], 0
    for level in LEVELS:
        started = time.perf_counter()
        how = fill_noise(ours, have, level)
        have = max(have, level)
        fills.append({"level": level, "method": how, "seconds": time.perf_counter() - started})
        dbsize = ours.dbsize()
        body = ours_get().json()
        found, _ = seed_get(seed_client, uid)
        if body["code"] != 1000 or len(body["data"]["settlement_list"]) != COURSES:
            raise SystemExit(f"ours GET answered {body}")
        if len(found) != COURSES:
            raise SystemExit(f"the seed's pattern found {len(found)} lines, not {COURSES}")
        print(
            f"{level:>9,} unrelated keys (DBSIZE {dbsize:,}; filled by {how} in "
            f"{fills[-1]['seconds']:.1f} s): measuring ...",
            flush=True,
        )
        samples = common.sample_interleaved(methods)
        measured = {name: (samples[name], round_trips(fn)) for name, (fn, _, _) in methods.items()}
        base50 = common.percentile(measured["ours GET"][0], 50)
        base95 = common.percentile(measured["ours GET"][0], 95)
        for name, (times, trips) in measured.items():
            p50, p95 = common.percentile(times, 50), common.percentile(times, 95)
            rows.append([level, name, len(times), p50, p95, trips, p50 / base50, p95 / base95])

    ours.flushdb()  # give the memory back (Redis /14 only)
    common.print_table(
        "Benchmark 1: GET /api/settlement/ (5 courses) vs the seed's SCAN, by keyspace size",
        headers,
        rows,
    )
    seed_rows = {r[0]: r for r in rows if r[1] == "seed"}
    ours_rows = {r[0]: r for r in rows if r[1] == "ours GET"}
    top, bottom = LEVELS[-1], LEVELS[0]
    print(
        f"\nours GET p50 {ours_rows[bottom][3]:.2f} ms -> {ours_rows[top][3]:.2f} ms "
        f"({ours_rows[top][3] / ours_rows[bottom][3]:.2f}x) from {bottom:,} to {top:,} keys; "
        f"seed p50 {seed_rows[bottom][3]:.2f} ms -> {seed_rows[top][3]:,.0f} ms "
        f"({seed_rows[top][3] / seed_rows[bottom][3]:,.0f}x)."
    )
    common.write_results(
        "keyspace",
        {"courses": COURSES, "levels": list(LEVELS), "fills": fills},
        headers,
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
