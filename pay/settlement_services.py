"""The settlement center (the seed's SettlementView), its rules and its one-shot writes.

Every request reads what it needs, checks everything, and only then writes, in one MULTI/EXEC
guarded by WATCH (utils.redis.transact): a refused request changes neither cart nor settlement,
and two racing requests of one user cannot both land on the same state.
"""

import enum
import hashlib
import logging
import sys
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError

from course.catalogue import UNREAD, courses_on_sale, on_sale_with
from course.selectors import OFF_SALE
from pay import pricing, serializers
from pay import settlement_store as store
from pay.pricing import (
    Line,
    Offer,
    Quote,
    Verdict,
    apply_coupon,
    best_choice,
    check_coupon,
    price_settlement,
    subtotal,
    to_cents,
    usable_from,
    whole_cents,
)
from pay.selectors import (
    HeldCoupon,
    held_coupon,
    held_verdict,
    records_gone,
    settlement_coupons,
)
from pay.serializers import settlement_payload
from pay.settlement_store import GoneCheck, Settlement, SettlementLine, StoredCoupon
from shopping import cart_store
from shopping.cart_store import CartItem
from shopping.services import price_policy_dict
from utils import money, render
from utils.errors import AppError, Codes
from utils.redis import (
    ConcurrentUpdate,
    get_redis,
    transact,
    transact_from,
    writes_wait_for_replicas,
)

logger = logging.getLogger("settlement")


class Unset(enum.Enum):
    """A choice the request leaves as it is (the key was absent), unlike None: clear it."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True)
class PricedSettlement:
    """A settlement with its quote and each coupon's verdict, as GET shows it."""

    settlement: Settlement
    quote: Quote
    course_verdicts: dict[int, dict[int, Verdict]]  # course id -> record id -> verdict
    global_verdicts: dict[int, Verdict]
    course_choices: dict[int, int | None]  # chosen course coupon that is usable now, or None
    global_choice: int | None


# --- Pricing a stored settlement -----------------------------------------------------------


def _verdict(coupon: StoredCoupon, price, today: date, gone: dict[int, str]) -> Verdict:
    if coupon.id in gone:
        return Verdict(False, gone[coupon.id])
    return check_coupon(coupon.terms, price, today)


def settlement_price(
    settlement: Settlement,
    *,
    today: date | None = None,
    course_choices: dict[int, int | None] | None = None,
    global_choice=UNSET,
    gone: dict[int, str] | None = None,
) -> PricedSettlement:
    """Price the settlement with its chosen coupons (or the given ones), today.

    A chosen coupon that cannot be used now (expired since it was chosen, under a threshold, or
    in `gone`: used or expired in the database since, see `coupons_gone`) is priced as not
    chosen, and its verdict says why.
    """
    today = today or timezone.localdate()
    gone = gone or {}
    chosen = {line.course_id: line.default_course_coupon_id for line in settlement.lines}
    chosen.update(course_choices or {})
    lines, verdicts, effective = [], {}, {}
    for line in settlement.lines:
        verdicts[line.course_id] = {
            rid: _verdict(c, line.price, today, gone) for rid, c in line.course_coupons.items()
        }
        rid = chosen.get(line.course_id)
        usable = rid in line.course_coupons and verdicts[line.course_id][rid].usable
        effective[line.course_id] = rid if usable else None
        coupon = line.course_coupons[rid].terms if usable and rid is not None else None
        lines.append(Line(line.course_id, line.price, coupon))

    base = subtotal(lines)
    global_verdicts = {
        rid: _verdict(c, base, today, gone) for rid, c in settlement.global_coupons.items()
    }
    global_id = settlement.default_global_coupon_id if global_choice is UNSET else global_choice
    global_usable = global_id in global_verdicts and global_verdicts[global_id].usable
    global_terms = (
        settlement.global_coupons[global_id].terms
        if global_usable and global_id is not None
        else None
    )
    return PricedSettlement(
        settlement=settlement,
        quote=price_settlement(lines, global_terms),
        course_verdicts=verdicts,
        global_verdicts=global_verdicts,
        course_choices=effective,
        global_choice=global_id if global_usable else None,
    )


def choice_permit(settlement: Settlement, check: GoneCheck, today: date) -> store.Permit:
    """What a PATCH may choose on `settlement` (its version, `check.version`), decided by pricing:
    for each line, its price with no coupon and with each coupon usable on it (the lines' prices
    a subtotal is summed from), and each global coupon's least subtotal (`usable_from`), given
    what the database said of the coupons (`check`). The script that writes a choice with it
    (store.queue_choose_with_token) only sums and compares these numbers."""
    gone = check.gone
    lines = {}
    for line in settlement.lines:
        options = {
            rid: whole_cents(apply_coupon(coupon.terms, line.price))
            for rid, coupon in line.course_coupons.items()
            if _verdict(coupon, line.price, today, gone).usable
        }
        lines[line.course_id] = (whole_cents(to_cents(line.price)), options)
    floors = {}
    for rid, coupon in settlement.global_coupons.items():
        floor = None if rid in gone else usable_from(coupon.terms, today)
        if floor is not None:
            floors[rid] = whole_cents(floor)
    return store.Permit(check.version, check.records_version, today, lines, floors)


def check_coupons(account_id: int, settlement: Settlement, today: date) -> GoneCheck:
    """The settlement's coupons that the database says are no longer usable (e.g. used by an
    order whose payment could not clear this settlement afterwards): the check kept beside the
    settlement while nothing has changed (store.GoneCheck, pay/records_version.py), else one SQL
    query."""
    kept = settlement.gone_check_for(today)
    if kept is not None:
        return kept
    ids = settlement.record_ids
    return GoneCheck(
        version=settlement.version or "",
        records_version=settlement.records_version,
        day=today,
        ids=ids,
        gone=records_gone(account_id=account_id, record_ids=ids),
    )


def queue_settlement_read(pipe, account_id: int) -> None:
    """Queue the whole settlement's read on a pipeline of other reads (`settlement_choose`'s
    `read`)."""
    store.queue_read(pipe, account_id)


def queue_kept_read(pipe, account_id: int) -> None:
    """Queue, on a pipeline of other reads, what `settlement_get(kept=...)` takes."""
    store.queue_kept_read(pipe, account_id)


def kept_values(replies) -> list[str | None]:
    """The replies of `queue_kept_read` as `settlement_get(kept=...)` takes them."""
    return store.kept_values(replies)


def _source_digest(*modules) -> str:
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


# A GET's kept answer is given again only by the code that rendered it: the modules that price a
# settlement and render its answer (a deploy that changes one renders again).
ANSWER_CODE = _source_digest(sys.modules[__name__], pricing, serializers, store, render, money)


def settlement_get(*, account_id: int, kept: list[str | None] | None = None) -> dict:
    """GET /api/settlement/'s data. `kept`: the replies of `queue_kept_read`, read with the token.

    While nothing has changed since a GET rendered it (the same settlement state, coupon records
    and day: store.GoneCheck), that answer is given again as it was kept; otherwise the
    settlement is read, priced and rendered, and the answer kept with its coupon check."""
    today = timezone.localdate()
    if kept is not None:
        version, records, raw = kept
        if (answer := store.kept_answer(version, records, raw, today, ANSWER_CODE)) is not None:
            return answer
    reply = store.read_reply(account_id)
    settlement = store.settlement_from_reply(account_id, reply)
    check = check_coupons(account_id, settlement, today)
    answer = settlement_payload(settlement_price(settlement, today=today, gone=check.gone))
    if settlement.version is not None:
        kept_check = replace(check, answer=answer, answer_code=ANSWER_CODE)
        store.keep_gone_check(account_id, kept_check, store.kept_raw(reply))
    return answer


# --- POST: a new settlement from cart courses -----------------------------------------------


def _line_from(course: dict, policy_id: int, coupons: list[HeldCoupon]) -> SettlementLine:
    """The line of a catalogue entry (course/catalogue.py) with one of its policies."""
    policy = next(p for p in course["price_policy"] if p["id"] == policy_id)
    return SettlementLine(
        course_id=course["id"],
        title=course["name"],
        img_src=str(course["course_img"]),
        price=Decimal(policy["price"]),
        period_display=str(policy["valid_period_display"]),
        valid_period=policy["valid_period"],
        price_policy_id=policy_id,
        price_policy_dict=price_policy_dict(course),
        course_coupons={held.id: StoredCoupon.from_held(held) for held in coupons},
    )


def _back_to_cart(line: SettlementLine) -> CartItem:
    return CartItem(
        course_id=line.course_id,
        title=line.title,
        img_src=line.img_src,
        price_policy_dict=line.price_policy_dict,
        default_policy=line.price_policy_id,
    )


def _check_cart_room(account_id: int, returning: list[int], leaving: list[int]) -> None:
    """1013 unless the cart keeps SHOPPING_CAR_LIMIT once `returning` courses come back from the
    settlement and `leaving` ones go into it. A course already in the cart takes no new place.
    Called inside a transaction that WATCHes the cart's index, so a racing add cannot slip in."""
    if not returning:
        return
    count, present = cart_store.cart_count_and_members(account_id, returning)
    after = count - len(set(leaving)) + len(set(returning) - present)
    limit = settings.SHOPPING_CAR_LIMIT
    if after > limit:
        raise AppError(
            Codes.CART_FULL,
            f"购物车已满:退回的课程放不下(将有{after}门,上限{limit}门),课程仍在结算中心"
            f" / the cart would hold {after} courses (limit {limit}); they stay in the settlement",
        )


def queue_create_read(pipe, account_id: int, course_ids: list[int]) -> None:
    """Queue, on a pipeline of other reads (the token's round trip), what a POST of these courses
    decides on: the cart's version, their cart items and the settlement; `settlement_create`
    takes the replies as `read`. The version comes first: the pipeline is not atomic, and a cart
    write that lands between it and the items moves it, so the POST then decides again (read
    after the items, it could be newer than they are)."""
    cart_store.queue_version_read(pipe, account_id)
    cart_store.queue_get_many(pipe, account_id, course_ids)
    store.queue_read(pipe, account_id)


def _create_read(account_id: int, course_ids: list[int], replies):
    """`queue_create_read`'s replies as (cart items, settlement, cart version), or None when the
    settlement's read failed (a key of another type): then the POST reads afresh."""
    cart_version, *cart_replies, settlement_reply = replies
    if settlement_reply is None:
        return None
    return (
        cart_store.cart_from_replies(course_ids, cart_replies),
        store.settlement_from_reply(account_id, settlement_reply),
        cart_version,
    )


def settlement_create(
    *, account_id: int, course_list: list[int], generation: Any = UNREAD, read=None
) -> PricedSettlement:
    """Replace the settlement with these cart courses (API.md, POST /api/settlement/).

    A course already in the current settlement may be listed again (the user went back and
    settles again): it keeps its policy. Old courses not listed go back to the cart; 1013 (and
    nothing changes) when the cart cannot take them within SHOPPING_CAR_LIMIT. `course_list`
    comes parsed (pay.serializers.SettlementCreateSerializer: ids, no duplicates). Courses and
    prices are the catalogue's (`generation`: its generation as the view read it, see
    course/catalogue.py `courses_on_sale`); payment checks them again in the database.

    `read`: the replies of `queue_create_read`, read with the token: the settlement is decided on
    them and written if neither the settlement's nor the cart's version has moved since, in one
    round trip (utils.redis.transact_from); otherwise, or without it, as an optimistic
    transaction.
    """
    course_ids = course_list
    today = timezone.localdate()
    first = None if read is None else _create_read(account_id, course_ids, read)
    prefetched = [] if first is None else [first]

    def build(pipe):
        if prefetched:
            cart, old, _ = prefetched.pop()
        else:
            cart, old = _cart_and_settlement(account_id, course_ids)
        chosen_policy: dict[int, int] = {}
        for course_id in course_ids:
            if course_id in cart:
                chosen_policy[course_id] = cart[course_id].default_policy
            elif (line := old.line(course_id)) is not None:
                chosen_policy[course_id] = line.price_policy_id
            else:
                raise AppError(Codes.SETTLEMENT_NOT_IN_CART, f"课程 {course_id} 不在购物车中")

        courses = courses_on_sale(course_ids, generation)
        for course_id in course_ids:
            _, problem = on_sale_with(courses.get(course_id), chosen_policy[course_id])
            if problem == OFF_SALE:
                raise AppError(Codes.SETTLEMENT_OFF_SALE, f"课程 {course_id} 已下线 / off sale")
            if problem is not None:
                raise AppError(
                    Codes.SETTLEMENT_OFF_SALE, f"课程 {course_id} 的价格策略已失效 / policy gone"
                )

        per_course, global_held = settlement_coupons(
            account_id=account_id, course_ids=course_ids, today=today
        )
        lines = [
            _line_from(courses[cid], chosen_policy[cid], per_course[cid]) for cid in course_ids
        ]
        global_coupons = {held.id: StoredCoupon.from_held(held) for held in global_held}
        lines, default_global = _with_best_choice(lines, global_coupons, today)
        dropped = [line for line in old.lines if line.course_id not in chosen_policy]
        _check_cart_room(
            account_id,
            returning=[line.course_id for line in dropped],
            leaving=[cid for cid in course_ids if cid in cart],
        )

        pipe.multi()
        store.queue_clear_all(pipe, account_id, old.course_ids)
        version = store.queue_write(pipe, account_id, lines, global_coupons, default_global)
        # every coupon offered was read usable just now, after the records' version was read
        offered = Settlement(lines, global_coupons, default_global)
        check = GoneCheck(version, old.records_version, today, offered.record_ids, {})
        store.queue_gone_check(pipe, account_id, check)
        store.queue_permit(pipe, account_id, choice_permit(offered, check, today))
        cart_store.queue_remove(pipe, account_id, [cid for cid in course_ids if cid in cart])
        for line in dropped:
            cart_store.queue_put(pipe, account_id, _back_to_cart(line))
        return Settlement(lines, global_coupons, default_global)

    watch = [*store.watch_keys(account_id), *cart_store.watch_keys(account_id, course_ids)]
    if first is None:
        settlement = transact(watch, build)
    else:
        _, old, cart_version = first
        guards = {
            store.guard_key(account_id): old.version,
            cart_store.guard_key(account_id): cart_version,
        }
        settlement = transact_from(guards, build, watch_keys=watch)
    return settlement_price(settlement, today=today)


def _cart_and_settlement(account_id: int, course_ids: list[int]):
    """These courses' cart items and the current settlement, in one round trip."""
    with get_redis().pipeline(transaction=False) as reads:
        cart_store.queue_get_many(reads, account_id, course_ids)
        store.queue_read(reads, account_id)
        *cart_replies, settlement_reply = reads.execute()
    return (
        cart_store.cart_from_replies(course_ids, cart_replies),
        store.settlement_from_reply(account_id, settlement_reply),
    )


def _with_best_choice(lines: list[SettlementLine], global_coupons, today):
    """The lines with the best course coupons chosen, and the best global coupon (API.md: the
    least payable; ties to fewer coupons, then to the coupons that end first)."""
    best = best_choice(
        [
            Offer(line.course_id, line.price, tuple(c.terms for c in line.course_coupons.values()))
            for line in lines
        ],
        [c.terms for c in global_coupons.values()],
        today,
    )
    chosen = [
        replace(line, default_course_coupon_id=best.course_coupons[line.course_id])
        for line in lines
    ]
    return chosen, best.global_coupon


# --- PATCH: choose coupons ------------------------------------------------------------------


def settlement_choose(
    *,
    account_id: int,
    course_id: int | None = None,
    coupon_id: int | Unset | None = UNSET,
    global_coupon_id: int | Unset | None = UNSET,
    read=None,
    today: date | None = None,
) -> PricedSettlement:
    """Choose (or clear: None) a course's coupon and/or the global coupon; UNSET leaves a choice
    as it is (PATCH /api/settlement/, parsed by pay.serializers.SettlementPatchSerializer).

    `read`: the settlement's reply already read with the token (`queue_patch_read`: the
    settlement's read, or the choose script's when its permit did not allow the choice): the
    choice is decided on it and written if its version is still current, in one round trip
    (utils.redis.transact_from); otherwise, or without it, as an optimistic transaction. (A
    choice the script wrote is answered by `settlement_after_choice`.)"""
    coupon_choice, global_choice = coupon_id, global_coupon_id
    today = today or timezone.localdate()
    prefetched = [] if read is None else [store.settlement_from_reply(account_id, read)]
    first = prefetched[0] if prefetched else None

    def build(pipe):
        settlement = prefetched.pop() if prefetched else store.settlement_read(account_id)
        check = check_coupons(account_id, settlement, today)
        gone = check.gone
        course_choices: dict[int, int | None] = {}
        if coupon_choice is not UNSET:
            line = settlement.line(course_id) if course_id is not None else None
            if line is None:
                raise AppError(Codes.SETTLEMENT_COURSE_INVALID)
            if coupon_choice is not None:
                coupon = line.course_coupons.get(coupon_choice)
                if coupon is None:
                    raise AppError(Codes.SETTLEMENT_COURSE_COUPON)
                verdict = _verdict(coupon, line.price, today, gone)
                if not verdict.usable:
                    raise AppError(Codes.SETTLEMENT_COURSE_COUPON, verdict.reason)
            course_choices[line.course_id] = coupon_choice

        new_global = (
            settlement.default_global_coupon_id if global_choice is UNSET else global_choice
        )
        priced = settlement_price(
            settlement,
            today=today,
            course_choices=course_choices,
            global_choice=new_global,
            gone=gone,
        )
        if new_global is not None:
            if new_global not in settlement.global_coupons:
                raise AppError(Codes.SETTLEMENT_GLOBAL_COUPON)
            verdict = priced.global_verdicts[new_global]
            if not verdict.usable:
                raise AppError(Codes.SETTLEMENT_GLOBAL_COUPON, verdict.reason)

        pipe.multi()
        version = store.queue_choices(
            pipe,
            account_id,
            course_choices,
            global_choice if global_choice is not UNSET else ...,
            checkout=settlement.checkout,
        )
        moved = check.moved_to(version)
        store.queue_gone_check(pipe, account_id, moved)
        store.queue_permit(pipe, account_id, choice_permit(settlement, moved, today))
        return priced

    watch = store.watch_keys(account_id)
    if first is None:
        priced = transact(watch, build)
    else:
        guards = {store.guard_key(account_id): first.version}
        priced = transact_from(guards, build, watch_keys=watch)
    # priced once, in build: the answer shows the choices just written
    return replace(priced, settlement=_with_choices(priced))


def queue_patch_read(pipe, account_id: int, token: str | None, choice: dict | None) -> date | None:
    """Queue, on the token's round trip, what a PATCH of `choice` (its body as
    pay.serializers.SettlementPatchSerializer validates it; None: it does not) works on: the
    script that writes the choice there if the settlement's permit allows it
    (store.queue_choose_with_token), whose reply the view gives to `chosen_with_token` and the
    day it checked (returned) to `settlement_choose(today=...)`; or, with no valid body or
    token, for a coupon without a course (1027), and where writes wait for replicas (a replica
    that does not answer would fail the request, as for an order cancel), the settlement's read
    alone (`queue_settlement_read`) and None."""
    course_id = (choice or {}).get("course_id")
    coupon_id = (choice or {}).get("coupon_id", UNSET)
    if (
        choice is None
        or token is None
        or (coupon_id is not UNSET and course_id is None)
        or writes_wait_for_replicas()
    ):
        store.queue_read(pipe, account_id)
        return None
    today = timezone.localdate()
    global_coupon_id = choice.get("global_coupon_id", UNSET)
    store.queue_choose_with_token(
        pipe,
        account_id,
        token,
        course_id=course_id,
        coupon_id=... if coupon_id is UNSET else coupon_id,
        global_coupon_id=... if global_coupon_id is UNSET else global_coupon_id,
        today=today,
        code=ANSWER_CODE,
    )
    return today


def chosen_with_token(reply) -> store.Chosen:
    """The choose script's reply (`queue_patch_read`): `written`, and else the settlement's read
    (`read`, None when it decided nothing) that `settlement_choose` decides on."""
    return store.choose_reply(reply)


def settlement_after_choice(
    *,
    account_id: int,
    chosen: store.Chosen,
    today: date,
    course_id: int | None = None,
    coupon_id: int | Unset | None = UNSET,
    global_coupon_id: int | Unset | None = UNSET,
) -> dict:
    """PATCH /api/settlement/'s data once the token's round trip has checked and written the
    choice (`queue_patch_read`, by the permit `choice_permit` made; `chosen.written`), on the
    `today` the script checked the permit's day against: the answer kept for the state it left,
    when one was (the choice went back to choices already shown on this permit); otherwise the
    settlement after it, priced and rendered, and that answer kept (store.keep_answer)."""
    if chosen.answer is not None and (answer := store.kept_answer_of(chosen.answer)) is not None:
        return answer
    read = chosen.read if chosen.read is not None else store.read_reply(account_id)
    settlement = store.settlement_from_reply(account_id, read)
    check = check_coupons(account_id, settlement, today)
    priced = settlement_price(settlement, today=today, gone=check.gone)
    course_differs = coupon_id is not UNSET and (
        course_id is None or priced.course_choices.get(course_id) != coupon_id
    )
    global_differs = global_coupon_id is not UNSET and priced.global_choice != global_coupon_id
    if course_differs or global_differs:  # never expected: tests pin the permit to pricing
        logger.error("a choice the permit allowed is not usable to pricing: %s", account_id)
    answer = settlement_payload(priced)  # it renders the choices `priced` made effective
    if chosen.content is not None:
        store.keep_answer(account_id, chosen.content, ANSWER_CODE, settlement, answer)
    return answer


def _with_choices(priced: PricedSettlement) -> Settlement:
    """The settlement as written after a PATCH (choices applied), without reading or pricing it
    again: `priced` was priced with those choices."""
    settlement = priced.settlement
    chosen = priced.course_choices
    lines = [
        SettlementLine(**{**line.__dict__, "default_course_coupon_id": chosen[line.course_id]})
        for line in settlement.lines
    ]
    return Settlement(lines, settlement.global_coupons, priced.global_choice)


# --- A coupon claimed while a settlement is open -------------------------------------------


def settlement_add_coupon(account_id: int, record) -> bool:
    """Offer a just-claimed coupon record in the account's open settlement, at once (API.md).

    A course coupon joins its course's line when that course is being settled; a global coupon
    joins the global coupons when a settlement is open. The current choices stay as they are (the
    user picks it with PATCH). One MULTI/EXEC on the settlement's version, retried on a race.
    Call it after the claim has committed: a Redis failure here is logged and never fails the
    claim (settling again offers the coupon anyway). Returns whether the coupon was added.
    """
    today = timezone.localdate()
    held = held_coupon(record, today)
    if not held_verdict(held, today).usable:
        return False  # not usable today: settling would not offer it either
    coupon = StoredCoupon.from_held(held)

    def build(pipe):
        settlement = store.settlement_read(account_id)
        line = settlement.line(held.course_id) if held.course_id is not None else None
        if held.course_id is None:
            joins = bool(settlement.lines) and coupon.id not in settlement.global_coupons
        else:
            joins = line is not None and coupon.id not in line.course_coupons
        pipe.multi()
        if joins:
            store.queue_add_coupon(pipe, account_id, coupon, line)
        return joins

    try:
        return transact(store.watch_keys(account_id), build)
    except (ConcurrentUpdate, RedisError):
        logger.warning(
            "claimed coupon %s could not join the settlement of account %s",
            record.pk,
            account_id,
            exc_info=True,
        )
    return False


# --- DELETE: back to the cart ---------------------------------------------------------------


def settlement_clear(*, account_id: int, course_id: int | None = None) -> PricedSettlement:
    """Return one course (or, without `course_id`, every course) to the cart.

    1013 when the cart cannot take them within SHOPPING_CAR_LIMIT: nothing changes, they stay in
    the settlement (the user makes room in the cart first)."""
    today = timezone.localdate()

    def build(pipe):
        settlement = store.settlement_read(account_id)
        check = check_coupons(account_id, settlement, today)
        if course_id is None:
            leaving = settlement.lines
        else:
            line = settlement.line(course_id)
            if line is None:
                raise AppError(Codes.SETTLEMENT_COURSE_INVALID)
            leaving = [line]
        staying = [line for line in settlement.lines if line not in leaving]
        _check_cart_room(account_id, returning=[line.course_id for line in leaving], leaving=[])
        remaining = Settlement(
            staying,
            settlement.global_coupons if staying else {},
            settlement.default_global_coupon_id,
        )
        priced = settlement_price(remaining, today=today, gone=check.gone) if staying else None

        pipe.multi()
        if staying:
            assert priced is not None  # priced above whenever a line stays
            checkout = settlement.checkout  # a change of this settlement, not a new one
            version = store.queue_clear(
                pipe, account_id, [line.course_id for line in leaving], checkout
            )
            if priced.global_choice != settlement.default_global_coupon_id:
                version = store.queue_choices(pipe, account_id, {}, priced.global_choice, checkout)
            store.queue_gone_check(pipe, account_id, check.moved_to(version))
        else:
            store.queue_clear_all(pipe, account_id, settlement.course_ids, settlement.checkout)
        for line in leaving:
            cart_store.queue_put(pipe, account_id, _back_to_cart(line))
        if not staying or priced is None:
            return settlement_price(Settlement([], {}, None))
        # priced once, above: the settlement as written carries its effective global choice
        return replace(
            priced,
            settlement=Settlement(staying, remaining.global_coupons, priced.global_choice),
        )

    watch = [*store.watch_keys(account_id), *cart_store.watch_keys(account_id, [])]
    return transact(watch, build)
