"""A PATCH decided in Redis (pay/settlement_store.py `Permit`, `queue_choose_with_token`): the
script writes exactly the choices that the settlement service, deciding in Python, accepts, and
the settlement it leaves is the one Python would have written; anything that changes what a
choice depends on makes it decide nothing, so the PATCH is decided in Python again."""

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pay import settlement_services as services
from pay import settlement_store as store
from pay.pricing import DISCOUNT, GENERAL, THRESHOLD
from pay.serializers import settlement_payload
from pay.settlement_store import GoneCheck, SettlementLine, StoredCoupon
from utils import keys
from utils.errors import AppError
from utils.redis import get_redis
from utils.token_store import token_check_keys

_users = itertools.count(70_000)
_records = itertools.count(1)


def token_of(user_id: int) -> str:
    """A token of the real shape, `<id>.<secret>`: its key shares the user's hash tag (Cluster)."""
    return f"{user_id}.{'a' * 40}"


def coupon_strategy(today):
    return st.builds(
        lambda kind, value, percent, minimum, begin, length: StoredCoupon(
            id=next(_records),
            coupon_id=1,
            number="n",
            name="券",
            coupon_type=kind,
            coupon_type_display="x",
            money_equivalent_value=None if kind == DISCOUNT else value,
            off_percent=percent if kind == DISCOUNT else None,
            minimum_consume=minimum if kind == THRESHOLD else Decimal("0.00"),
            valid_begin=today + timedelta(days=begin),
            valid_end=today + timedelta(days=begin + length),
        ),
        st.sampled_from([GENERAL, THRESHOLD, DISCOUNT]),
        st.sampled_from([Decimal(v) for v in ("5.00", "20.00", "99.99", "150.00")]),
        st.integers(1, 99),
        st.sampled_from([Decimal(v) for v in ("0.00", "50.00", "100.00", "199.99", "300.00")]),
        st.integers(-3, 1),  # some not valid yet, some expired
        st.integers(-2, 5),
    )


def line_strategy(course_id, today):
    return st.builds(
        lambda price, coupons: (price, coupons),
        st.sampled_from([Decimal(v) for v in ("0.00", "10.00", "99.00", "149.50", "300.00")]),
        st.lists(coupon_strategy(today), max_size=3),
    )


def write_state(user_id, lines, global_coupons, choices, global_choice, gone, token):
    """Write a settlement as POST would, then the stored choices (stale ones included), its kept
    coupon check and its permit, and a good token."""
    today = timezone.localdate()
    with get_redis().pipeline(transaction=True) as pipe:
        version = store.queue_write(pipe, user_id, lines, global_coupons, global_choice)
        for line, chosen in zip(lines, choices, strict=True):
            if chosen is not None:
                pipe.hset(
                    keys.settlement(user_id, line.course_id), "default_course_coupon_id", chosen
                )
        pipe.execute()
    settlement = store.settlement_read(user_id)
    check = GoneCheck(version, None, today, settlement.record_ids, gone)
    with get_redis().pipeline(transaction=True) as pipe:
        store.queue_gone_check(pipe, user_id, check)
        store.queue_permit(pipe, user_id, services.choice_permit(settlement, check, today))
        token_key, stamp_key = token_check_keys(token, user_id)
        pipe.set(token_key, f"{user_id}:stamp")
        pipe.set(stamp_key, "stamp")
        pipe.execute()


def choose_in_redis(user_id, token, choice) -> store.Chosen:
    """The script's reply as the view gets it: an error reply reads as none (token_lookup)."""
    with get_redis().pipeline(transaction=False) as pipe:
        sent = services.queue_patch_read(pipe, user_id, token, choice)
        [reply] = pipe.execute(raise_on_error=False)
    if sent is None:  # the settlement's read alone: nothing written
        return store.Chosen()
    return services.chosen_with_token(None if isinstance(reply, Exception) else reply)


def stored_choices(user_id):
    settlement = store.settlement_read(user_id)
    return (
        {line.course_id: line.default_course_coupon_id for line in settlement.lines},
        settlement.default_global_coupon_id,
    )


def settlements(draw, course_ids):
    """A generated settlement of lines for these courses: (lines, global coupons, stored choices
    (stale and dangling ones among them), the stored global choice, what the database says is
    gone, every record id offered)."""
    today = timezone.localdate()
    lines, records = [], []
    for course_id in course_ids:
        price, coupons = draw(line_strategy(course_id, today))
        records.extend(c.id for c in coupons)
        lines.append(
            SettlementLine(
                course_id=course_id,
                title=f"课程{course_id}",
                img_src="",
                price=price,
                period_display="30天",
                valid_period=30,
                price_policy_id=course_id * 10,
                price_policy_dict={},
                course_coupons={c.id: c for c in coupons},
            )
        )
    global_coupons = {c.id: c for c in draw(st.lists(coupon_strategy(today), max_size=3))}
    records.extend(global_coupons)
    ids = st.sampled_from(records) if records else st.just(999_999)
    choices = [draw(st.one_of(st.none(), ids)) for _ in lines]
    global_choice = draw(st.one_of(st.none(), ids))
    gone = {rid: "已使用 / used" for rid in draw(st.lists(ids, max_size=2))} if records else {}
    return lines, global_coupons, choices, global_choice, gone, records


@st.composite
def cases(draw):
    count = draw(st.integers(1, 4))
    lines, global_coupons, choices, global_choice, gone, records = settlements(
        draw, range(1, count + 1)
    )
    ids = st.sampled_from(records) if records else st.just(999_999)
    course = draw(st.one_of(st.none(), st.integers(1, count + 1)))
    choice = {}
    if course is not None or draw(st.booleans()):
        choice["course_id"] = course
        choice["coupon_id"] = draw(st.one_of(st.none(), ids))
    if not choice or draw(st.booleans()):
        choice["global_coupon_id"] = draw(st.one_of(st.none(), ids))
    return lines, global_coupons, choices, global_choice, gone, choice


@pytest.mark.django_db
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_the_permits_script_writes_exactly_the_choices_python_accepts(case):
    lines, global_coupons, choices, global_choice, gone, choice = case
    in_redis, in_python = next(_users), next(_users)
    for user_id in (in_redis, in_python):
        write_state(user_id, lines, global_coupons, choices, global_choice, gone, token_of(user_id))
    before = stored_choices(in_redis)

    chosen = choose_in_redis(in_redis, token_of(in_redis), choice)
    written = chosen.written
    try:
        decided = services.settlement_choose(account_id=in_python, **choice)
    except AppError:
        decided = None

    assert written == (decided is not None), (choice, decided)
    event("written in Redis" if written else "decided in Python")  # --hypothesis-show-statistics
    if written:
        answered = services.settlement_after_choice(
            account_id=in_redis, chosen=chosen, today=timezone.localdate(), **choice
        )
        assert stored_choices(in_redis) == stored_choices(in_python)
        assert answered == settlement_payload(decided)
    else:
        assert stored_choices(in_redis) == before


def simple_state(user_id, token, days=9):
    """One course (99.00) offering a 20-off coupon (valid `days` more days), chosen; a global
    coupon, not chosen."""
    today = timezone.localdate()
    course = StoredCoupon(1, 1, "n", "券", GENERAL, "通用券", Decimal("20.00"), None,
                          Decimal("0.00"), today, today + timedelta(days=days))  # fmt: skip
    overall = StoredCoupon(2, 1, "n", "券", GENERAL, "通用券", Decimal("5.00"), None,
                           Decimal("0.00"), today, today + timedelta(days=9))  # fmt: skip
    line = SettlementLine(1, "课程", "", Decimal("99.00"), "30天", 30, 10, {}, {1: course})
    write_state(user_id, [line], {2: overall}, [1], None, {}, token)


CLEAR = {"course_id": 1, "coupon_id": None}


@pytest.mark.parametrize(
    "answer",
    [None, {"text": 'a "quoted" ,"answer": inside', "n": 1}],
    ids=["no answer", "an answer"],
)
@pytest.mark.parametrize("records", [None, "r1"])
def test_the_check_moved_by_the_script_is_the_check_moved_in_python(redis_client, answer, records):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    checked = keys.settlement_checked(user_id)
    version = redis_client.get(keys.settlement_version(user_id))
    check = GoneCheck(version, records, timezone.localdate(), frozenset({1, 2}),
                      {2: 'gone "quoted"'}, answer, "code" if answer else None)  # fmt: skip
    redis_client.set(checked, check.encode(), ex=60)
    if records is not None:
        redis_client.set(keys.coupon_records_version(user_id), records)
        permit_key = keys.settlement_permit(user_id)
        redis_client.hset(permit_key, "records", records)
    assert choose_in_redis(user_id, token_of(user_id), CLEAR).written
    new = redis_client.get(keys.settlement_version(user_id))
    assert new != version and new.split(".")[0] == version.split(".")[0]  # same checkout
    assert GoneCheck.decode(redis_client.get(checked)) == check.moved_to(new)
    assert 0 < redis_client.ttl(checked) <= 60  # its expiry kept
    assert redis_client.hget(keys.settlement_permit(user_id), "version") == new


def moved_records(redis_client, user_id):
    redis_client.set(keys.coupon_records_version(user_id), "moved")


def records_moving(redis_client, user_id):
    redis_client.set(keys.coupon_records_moving(user_id), "1", ex=60)


def an_offer(redis_client, user_id):
    settlement = store.settlement_read(user_id)
    extra = StoredCoupon(3, 1, "n", "券", GENERAL, "通用券", Decimal("1.00"), None,
                         Decimal("0.00"), timezone.localdate(), timezone.localdate())  # fmt: skip
    with get_redis().pipeline(transaction=True) as pipe:
        store.queue_add_coupon(pipe, user_id, extra, settlement.lines[0])
        pipe.execute()


def another_write(redis_client, user_id):
    redis_client.set(keys.settlement_version(user_id), "other.write")


def token_ended(redis_client, user_id):
    redis_client.set(token_check_keys(token_of(user_id), user_id)[1], "another stamp")


@pytest.mark.parametrize(
    "change", [moved_records, records_moving, an_offer, another_write, token_ended]
)
def test_a_change_of_what_the_permit_was_made_for_makes_the_script_decide_nothing(
    redis_client, change
):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    change(redis_client, user_id)
    before = stored_choices(user_id)
    assert not choose_in_redis(user_id, token_of(user_id), CLEAR).written
    assert stored_choices(user_id) == before


def test_a_permit_of_another_day_decides_nothing(redis_client):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    with get_redis().pipeline(transaction=False) as pipe:
        store.queue_choose_with_token(
            pipe, user_id, token_of(user_id), course_id=1, coupon_id=None,
            today=timezone.localdate() + timedelta(days=1), code="code",
        )  # fmt: skip
        [reply] = pipe.execute()
    assert store.choose_reply(reply).written is False
    assert stored_choices(user_id) == ({1: 1}, None)


def test_a_token_the_script_finds_not_good_reads_nothing_and_the_patch_decides_in_python(
    redis_client,
):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    token_ended(redis_client, user_id)
    assert choose_in_redis(user_id, token_of(user_id), CLEAR) == store.Chosen()


@pytest.mark.parametrize(
    "token, choice",
    [
        ("good", {"course_id": None, "coupon_id": None}),  # a coupon without a course: 1027
        ("good", None),  # a body that does not validate
        (None, CLEAR),  # no token
    ],
)
def test_a_patch_the_script_cannot_decide_only_reads_the_settlement(redis_client, token, choice):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    token = token_of(user_id) if token == "good" else None
    with get_redis().pipeline(transaction=False) as pipe:
        assert services.queue_patch_read(pipe, user_id, token, choice) is None
        [reply] = pipe.execute()
    settlement = store.settlement_from_reply(user_id, reply)  # the settlement's read
    assert [line.course_id for line in settlement.lines] == [1]
    assert stored_choices(user_id) == ({1: 1}, None)


def test_where_writes_wait_for_replicas_a_patch_only_reads_the_settlement(redis_client, settings):
    settings.REDIS_SENTINELS = "127.0.0.1:1"  # read by writes_wait_for_replicas only
    settings.REDIS_REPLICA_ACKS = 1
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    with get_redis().pipeline(transaction=False) as pipe:
        assert services.queue_patch_read(pipe, user_id, token_of(user_id), CLEAR) is None


@pytest.mark.parametrize("stored", ["07", " 1", "abc"])
def test_a_stored_choice_that_is_not_a_plain_id_makes_the_script_decide_nothing(
    redis_client, stored
):
    # Python reads "07" as coupon 7 (and drops a line whose choice is "abc"): the script, which
    # compares text, leaves such a settlement to Python
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    redis_client.hset(keys.settlement(user_id, 1), "default_course_coupon_id", stored)
    assert not choose_in_redis(user_id, token_of(user_id), {"global_coupon_id": 2}).written
    assert redis_client.hget(keys.global_coupon(user_id), "default_coupon_id") is None


def test_a_course_key_of_another_type_fails_the_script_before_it_writes(redis_client):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    version = redis_client.get(keys.settlement_version(user_id))
    redis_client.delete(keys.settlement(user_id, 1))
    redis_client.set(keys.settlement(user_id, 1), "planted")
    # an error reply: the PATCH reads afresh
    assert choose_in_redis(user_id, token_of(user_id), CLEAR) == store.Chosen()
    assert redis_client.get(keys.settlement_version(user_id)) == version


@pytest.mark.django_db
def test_a_patch_written_by_the_script_is_priced_on_the_day_the_script_checked(
    api, account, monkeypatch
):
    from datetime import date

    user_id, token = account.pk, token_of(account.pk)
    simple_state(user_id, token, days=0)  # its coupon's last day is today
    today = timezone.localdate()
    days = iter([today])  # the script's day; any later reading of the clock is past midnight

    def clock() -> date:
        return next(days, today + timedelta(days=1))

    monkeypatch.setattr(services.timezone, "localdate", clock)
    body = {"course_id": 1, "coupon_id": 1}
    answer = api.patch(
        "/api/settlement/", body, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    ).json()
    assert answer["code"] == 1000
    assert answer["data"]["settlement_list"][0]["default_course_coupon_id"] == 1


def test_the_scripts_key_positions_follow_the_settlement_read():
    # _CHOOSE names KEYS[6..10] by position: global coupons, version, records' version, kept
    # check, records' moving marker, as `_indexed_read` lists them
    more = store._indexed_read(7).more
    assert more == (
        ("HGETALL", keys.global_coupon(7)),
        ("GET", keys.settlement_version(7)),
        ("GET", keys.coupon_records_version(7)),
        ("GET", keys.settlement_checked(7)),
        ("GET", keys.coupon_records_moving(7)),
    )


# --- Answers kept for the permit's states (store.keep_answer) -------------------------------


def answer_in_redis(user_id, token, choice):
    """A PATCH as the view makes it, with the script: its answer (or AppError), and what the
    script did."""
    chosen = choose_in_redis(user_id, token, choice)
    today = timezone.localdate()
    if chosen.written:
        return services.settlement_after_choice(
            account_id=user_id, chosen=chosen, today=today, **choice
        ), chosen
    priced = services.settlement_choose(account_id=user_id, read=chosen.read, **choice)
    return settlement_payload(priced), chosen


def an_offer_to_both(user_ids):
    """A coupon claimed while the settlement is open, offered on its first line (each user's
    settlement is the same)."""
    today = timezone.localdate()
    extra = StoredCoupon(next(_records), 1, "n", "券", GENERAL, "通用券", Decimal("1.00"), None,
                         Decimal("0.00"), today, today + timedelta(days=3))  # fmt: skip
    for user_id in user_ids:
        settlement = store.settlement_read(user_id)
        line = settlement.lines[0] if settlement.lines else None
        with get_redis().pipeline(transaction=True) as pipe:
            store.queue_add_coupon(pipe, user_id, extra, line)
            pipe.execute()


def a_course_back_to_the_cart(user_ids):
    for user_id in user_ids:
        settlement = store.settlement_read(user_id)
        if settlement.lines:
            services.settlement_clear(account_id=user_id, course_id=settlement.lines[-1].course_id)


def records_moved(user_ids):
    for user_id in user_ids:
        get_redis().set(keys.coupon_records_version(user_id), f"moved {next(_records)}")


EVENTS = [an_offer_to_both, a_course_back_to_the_cart, records_moved]


@st.composite
def sequences(draw):
    """A generated settlement (course ids of one to three digits: sorted as numbers, not text)
    and steps on it: PATCHes drawn from a few choices, so states recur, and now and then a change
    of what the permit was made on."""
    course_ids = draw(
        st.lists(st.sampled_from([1, 2, 10, 100]), min_size=1, max_size=4, unique=True)
    )
    lines, global_coupons, choices, global_choice, gone, _ = settlements(draw, course_ids)
    options = [{"global_coupon_id": rid} for rid in [None, *global_coupons]]
    for line in lines:
        options += [
            {"course_id": line.course_id, "coupon_id": rid} for rid in [None, *line.course_coupons]
        ]
    options.append({"course_id": course_ids[0], "coupon_id": 999_999})  # not offered: 1028
    picks = draw(st.lists(st.sampled_from(options), min_size=1, max_size=6, unique_by=str))
    steps = draw(
        st.lists(
            st.one_of(st.sampled_from(picks), st.sampled_from(EVENTS)), min_size=2, max_size=10
        )
    )
    return lines, global_coupons, choices, global_choice, gone, steps


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=sequences())
def test_every_answer_of_a_sequence_of_patches_is_the_one_python_renders(case):
    # the script's answers (kept ones among them, for states shown before on the same permit)
    # against PATCHes decided and priced in Python alone, step by step, with offers, courses
    # going back to the cart and coupon records changing between them
    lines, global_coupons, choices, global_choice, gone, steps = case
    in_redis, in_python = next(_users), next(_users)
    for user_id in (in_redis, in_python):
        write_state(user_id, lines, global_coupons, choices, global_choice, gone, token_of(user_id))
    for step in steps:
        if callable(step):
            step([in_redis, in_python])
            continue
        try:
            expected = settlement_payload(services.settlement_choose(account_id=in_python, **step))
        except AppError as error:
            expected = (error.error.code, error.detail)
        try:
            answer, chosen = answer_in_redis(in_redis, token_of(in_redis), step)
        except AppError as error:
            answer, chosen = (error.error.code, error.detail), store.Chosen()
        event("kept answer" if chosen.answer else "written" if chosen.written else "python")
        assert answer == expected, step
        assert stored_choices(in_redis) == stored_choices(in_python)


ON = {"course_id": 1, "coupon_id": 1}


def shown_both_ways(user_id):
    """`simple_state`, then PATCHes clearing and choosing its course coupon (each answer kept)."""
    simple_state(user_id, token_of(user_id))
    first, chosen = answer_in_redis(user_id, token_of(user_id), CLEAR)
    assert chosen.written and chosen.answer is None
    second, chosen = answer_in_redis(user_id, token_of(user_id), ON)
    assert chosen.written and chosen.answer is None
    return first, second


@pytest.mark.django_db
def test_a_choice_back_to_a_state_already_shown_is_answered_as_it_was_kept(redis_client):
    user_id = next(_users)
    cleared, chosen_answer = shown_both_ways(user_id)
    assert cleared["settlement_list"][0]["default_course_coupon_id"] is None
    assert chosen_answer["settlement_list"][0]["default_course_coupon_id"] == 1
    for choice, expected in [(CLEAR, cleared), (ON, chosen_answer), (CLEAR, cleared)]:
        answer, chosen = answer_in_redis(user_id, token_of(user_id), choice)
        assert chosen.written and chosen.answer is not None and chosen.read is None
        assert answer == expected
    assert stored_choices(user_id) == ({1: None}, None)
    # the state priced and rendered afresh (its coupons as the kept check says: none gone)
    fresh = services.settlement_price(store.settlement_read(user_id), gone={})
    assert settlement_payload(fresh) == cleared


@pytest.mark.django_db
def test_kept_answers_expire_with_the_permit_and_are_bounded(redis_client):
    user_id = next(_users)
    shown_both_ways(user_id)
    answers, permit = keys.settlement_answers(user_id), keys.settlement_permit(user_id)
    assert redis_client.hlen(answers) == 2
    assert redis_client.pexpiretime(answers) == redis_client.pexpiretime(permit) > 0
    content = redis_client.hget(permit, "content")
    settlement = store.settlement_read(user_id)

    def keep(n, answer):
        lines = [replace(line, default_course_coupon_id=n + 10) for line in settlement.lines]
        store.keep_answer(user_id, content, "code", replace(settlement, lines=lines), answer)

    for n in range(store.ANSWERS_KEPT + 3):
        keep(n, {"n": n})
    assert redis_client.hlen(answers) == store.ANSWERS_KEPT
    names = sorted(redis_client.hkeys(answers))
    keep(0, {"n": "again"})  # one already kept may be replaced when full
    assert redis_client.hget(answers, f"{content}:code:1={10}|-") == '{"n":"again"}'
    keep(1, {"n": "x" * store.ANSWER_KEPT_BYTES})  # too large: not kept
    assert redis_client.hget(answers, f"{content}:code:1={11}|-") == '{"n":1}'
    assert sorted(redis_client.hkeys(answers)) == names


def a_patch_decided_in_python(redis_client, user_id):
    redis_client.delete(keys.settlement_permit(user_id))
    answer_in_redis(user_id, token_of(user_id), ON)  # decided in Python: a new permit


def everything_back_to_the_cart(redis_client, user_id):
    services.settlement_clear(account_id=user_id)


def a_global_coupon_repaired(redis_client, user_id):
    redis_client.hset(keys.global_coupon(user_id), "2", "not json")
    store.settlement_read(user_id)  # a read drops the field that does not decode


def a_line_repaired(redis_client, user_id):
    redis_client.hset(keys.settlement(user_id, 1), "price", "abc")
    store.settlement_read(user_id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        a_patch_decided_in_python,
        an_offer,
        everything_back_to_the_cart,
        a_global_coupon_repaired,
        a_line_repaired,
    ],
)
def test_the_answers_go_with_their_permit(redis_client, change):
    user_id = next(_users)
    shown_both_ways(user_id)
    change(redis_client, user_id)
    assert redis_client.exists(keys.settlement_answers(user_id)) == 0


@pytest.mark.django_db
def test_a_repaired_coupon_is_no_longer_chosen_by_the_permit_nor_shown_by_a_kept_answer(
    redis_client,
):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))  # global coupon 2, 5.00 off
    for choice in ({"global_coupon_id": 2}, {"global_coupon_id": None}):
        answer_in_redis(user_id, token_of(user_id), choice)  # both answers kept
    a_global_coupon_repaired(redis_client, user_id)
    answer, chosen = answer_in_redis(user_id, token_of(user_id), {"global_coupon_id": None})
    assert not chosen.written and "2" not in answer["global_coupon_info"]
    with pytest.raises(AppError):  # decided in Python: not offered any more (1029)
        answer_in_redis(user_id, token_of(user_id), {"global_coupon_id": 2})


@pytest.mark.django_db
def test_answers_kept_on_a_permit_of_other_content_are_not_given(redis_client):
    # as if a new permit replaced it without its answers being deleted: they name another
    user_id = next(_users)
    shown_both_ways(user_id)
    redis_client.hset(keys.settlement_permit(user_id), "content", "another content")
    chosen = answer_in_redis(user_id, token_of(user_id), CLEAR)[1]
    assert chosen.written and chosen.answer is None  # priced and rendered again


@pytest.mark.django_db
def test_an_answer_rendered_by_other_code_is_not_given(redis_client):
    user_id = next(_users)
    shown_both_ways(user_id)
    with get_redis().pipeline(transaction=False) as pipe:
        store.queue_choose_with_token(
            pipe, user_id, token_of(user_id), course_id=1, coupon_id=None,
            today=timezone.localdate(), code="another deploy",
        )  # fmt: skip
        [reply] = pipe.execute()
    chosen = store.choose_reply(reply)
    assert chosen.written and chosen.answer is None and chosen.read is not None


@pytest.mark.django_db
def test_an_answer_rendered_on_a_replaced_permit_is_not_kept(redis_client):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    chosen = choose_in_redis(user_id, token_of(user_id), CLEAR)
    a_patch_decided_in_python(redis_client, user_id)  # the permit is replaced meanwhile
    services.settlement_after_choice(
        account_id=user_id, chosen=chosen, today=timezone.localdate(), **CLEAR
    )
    assert redis_client.exists(keys.settlement_answers(user_id)) == 0


@pytest.mark.django_db
def test_a_kept_answer_that_does_not_decode_is_priced_from_a_fresh_read(redis_client):
    user_id = next(_users)
    cleared, _ = shown_both_ways(user_id)
    answers = keys.settlement_answers(user_id)
    for name in redis_client.hkeys(answers):
        redis_client.hset(answers, name, "not json")
    answer, chosen = answer_in_redis(user_id, token_of(user_id), CLEAR)
    assert chosen.answer == "not json"
    assert answer == cleared


@pytest.mark.django_db
def test_an_answers_key_of_another_type_neither_fails_the_patch_nor_is_replaced(redis_client):
    user_id = next(_users)
    simple_state(user_id, token_of(user_id))
    answers = keys.settlement_answers(user_id)
    redis_client.set(answers, "planted")
    for choice in (CLEAR, ON, CLEAR):
        answer, chosen = answer_in_redis(user_id, token_of(user_id), choice)
        assert chosen.written and chosen.answer is None
    assert answer["settlement_list"][0]["default_course_coupon_id"] is None
    assert redis_client.get(answers) == "planted"


@pytest.mark.django_db
def test_choice_key_names_the_stored_choices_as_the_script_does():
    line = SettlementLine(10, "课程", "", Decimal("1.00"), "30天", 30, 1, {})
    lines = [replace(line, course_id=10, default_course_coupon_id=5), replace(line, course_id=2)]
    settlement = store.Settlement(lines, {}, 7)
    assert store.choice_key(settlement) == "2=-,10=5|7"  # by course id, as numbers
    assert store.choice_key(store.Settlement([], {}, None)) == "|-"
