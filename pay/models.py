"""The seed's pay models: coupon rules, coupon records, orders, order lines and the 贝里 ledger.

Fixed from the seed: Decimal for money, explicit on_delete (records of money are PROTECTed),
constraints in the database for what must hold, and indexes for the queries the service makes.

Table names: the seed used its admin labels ("13. 优惠券生成规则记录") as table names, which need
quoting in every SQL statement and break tools. These use Django's `<app>_<model>` convention in
snake case, ASCII, plural-free, as most DBAs expect.
"""

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from course.models import Account, Course
from pay.pricing import Verdict, coupon_validity, coupon_verdict

MONEY: dict[str, Any] = {"max_digits": 10, "decimal_places": 2}
Day = date  # in the class bodies below, a field named `date` hides the type
PUBLIC_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")


def normalize_public_code(value: str | None) -> str | None:
    """A rule's public code as stored and looked up: trimmed, upper case; blank is no code."""
    value = (value or "").strip().upper()
    return value or None


# The longest validity a rule may give in days (ten years): what staff may type in the admin, far
# inside what date arithmetic can compute (a date past 9999-12-31 is an OverflowError).
MAX_COUPON_VALID_DAYS = 3650
MAX_PER_ACCOUNT_LIMIT = 1000
NOT_NEGATIVE = [MinValueValidator(0)]


class Coupon(models.Model):
    """优惠券生成规则 (a coupon rule; what users hold are CouponRecords)."""

    TYPE_GENERAL, TYPE_THRESHOLD, TYPE_DISCOUNT = 0, 1, 2
    coupon_type_choices = (
        (TYPE_GENERAL, "通用券"),
        (TYPE_THRESHOLD, "满减券"),
        (TYPE_DISCOUNT, "折扣券"),
    )

    name = models.CharField(max_length=64, verbose_name="活动名称")
    brief = models.TextField(blank=True, null=True, verbose_name="优惠券介绍")
    coupon_type = models.SmallIntegerField(
        choices=coupon_type_choices, default=TYPE_GENERAL, verbose_name="券类型"
    )
    money_equivalent_value = models.DecimalField(
        verbose_name="等值货币", null=True, blank=True, validators=NOT_NEGATIVE, **MONEY
    )
    off_percent = models.PositiveSmallIntegerField(
        "折扣百分比",
        help_text="只针对折扣券,例7.9折,写79",
        blank=True,
        null=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    minimum_consume = models.DecimalField(
        "最低消费",
        default=0,
        help_text="仅在满减券时填写此字段",
        validators=NOT_NEGATIVE,
        **MONEY,
    )

    content_type = models.ForeignKey(
        ContentType, blank=True, null=True, on_delete=models.PROTECT, verbose_name="绑定类型"
    )
    object_id = models.PositiveIntegerField(
        "绑定课程", blank=True, null=True, help_text="可以把优惠券跟课程绑定"
    )
    # 不绑定代表全局优惠券
    content_object = GenericForeignKey("content_type", "object_id")

    open_date = models.DateField("优惠券领取开始时间")
    close_date = models.DateField("优惠券领取结束时间")
    valid_begin_date = models.DateField(verbose_name="有效期开始时间", blank=True, null=True)
    valid_end_date = models.DateField(verbose_name="有效结束时间", blank=True, null=True)
    coupon_valid_days = models.PositiveIntegerField(
        verbose_name="优惠券有效期(天)",
        blank=True,
        null=True,
        help_text=f"自券被领时开始算起,1..{MAX_COUPON_VALID_DAYS}",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_COUPON_VALID_DAYS)],
    )
    per_account_limit = models.PositiveSmallIntegerField(
        "每人限领张数",
        default=1,
        help_text=f"同一账户最多持有本规则的券数,1..{MAX_PER_ACCOUNT_LIMIT}",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PER_ACCOUNT_LIMIT)],
    )
    total_quantity = models.PositiveIntegerField(
        "发行总量",
        blank=True,
        null=True,
        help_text="最多发出的券数(领取、发放与兑换码合计);不填为不限量",
    )
    code = models.CharField(
        "优惠码",
        max_length=32,
        blank=True,
        null=True,
        unique=True,
        help_text="公开的领取码,如 PYTHON2026(不区分大小写,字母数字与 - _);不填则只能按id领取",
    )
    # Counters written only by pay/coupon_records.py and pay/redemption_codes.py with conditional UPDATEs (never by a form's save):
    # records issued so far, and redemption codes generated but not yet redeemed. Together they
    # never pass total_quantity; the database decides it in one UPDATE ... WHERE.
    issued_count = models.PositiveIntegerField("已发出", default=0, editable=False)
    codes_outstanding = models.PositiveIntegerField("未兑换的兑换码", default=0, editable=False)
    date = models.DateTimeField("创建时间", auto_now_add=True)

    COUNTERS = ("issued_count", "codes_outstanding")

    class Meta:
        verbose_name = verbose_name_plural = "13. 优惠券生成规则记录"
        db_table = "pay_coupon"
        indexes = [models.Index(fields=["content_type", "object_id"], name="coupon_binding_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(off_percent__isnull=True) | Q(off_percent__gte=1, off_percent__lte=99),
                name="coupon_off_percent_1_99",
            ),
            models.CheckConstraint(
                condition=Q(money_equivalent_value__isnull=True) | Q(money_equivalent_value__gt=0),
                name="coupon_value_gt_0",
            ),
            models.CheckConstraint(
                condition=Q(minimum_consume__gte=0), name="coupon_minimum_consume_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(close_date__gte=models.F("open_date")), name="coupon_close_after_open"
            ),
            models.CheckConstraint(
                condition=Q(valid_begin_date__isnull=True)
                | Q(valid_end_date__isnull=True)
                | Q(valid_end_date__gt=models.F("valid_begin_date")),
                name="coupon_valid_end_after_begin",
            ),
            models.CheckConstraint(
                condition=Q(coupon_valid_days__isnull=True) | Q(coupon_valid_days__gt=0),
                name="coupon_valid_days_gt_0",
            ),
            models.CheckConstraint(
                condition=Q(content_type__isnull=True, object_id__isnull=True)
                | Q(content_type__isnull=False, object_id__isnull=False),
                name="coupon_binding_complete",
            ),
            models.CheckConstraint(
                condition=Q(per_account_limit__gte=1), name="coupon_per_account_limit_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(total_quantity__isnull=True) | Q(total_quantity__gte=1),
                name="coupon_total_quantity_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(code__isnull=True) | Q(code=Upper("code")), name="coupon_code_upper"
            ),
        ]

    def __str__(self):
        return f"{self.get_coupon_type_display()}({self.name})"

    def save(self, *args, **kwargs):
        self.clean()
        if not self._state.adding and kwargs.get("update_fields") is None:
            # A form loaded the counters a while ago: writing them back would undo the claims
            # made since. Only services change them.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.COUNTERS
            ]
        super().save(*args, **kwargs)
        from pay import coupon_stock  # the Redis gate caches total and limit: rebuild it

        rule_id = self.pk
        transaction.on_commit(lambda: coupon_stock.forget(rule_id))

    @property
    def remaining(self) -> int | None:
        """Coupons that can still be claimed (None: unlimited). Codes not yet redeemed are
        already promised, so they are not counted as remaining."""
        if self.total_quantity is None:
            return None
        return max(0, self.total_quantity - self.issued_count - self.codes_outstanding)

    @property
    def is_global(self) -> bool:
        return self.object_id is None

    def clean(self):
        """The seed's save() rules plus the type and binding rules, as form errors."""
        errors: dict[str, str] = {}
        begin, end, days = self.valid_begin_date, self.valid_end_date, self.coupon_valid_days
        if (begin is None) != (end is None):
            errors["valid_end_date"] = "有效期开始与结束日期须同时填写 / give both validity dates"
        elif begin and end and end <= begin:
            errors["valid_end_date"] = (
                "有效期结束日期必须晚于开始日期 / must be after the begin date"
            )
        if days == 0:
            errors["coupon_valid_days"] = "coupon_valid_days 有效期不能为0 / must not be 0"
        elif days is not None and days > MAX_COUPON_VALID_DAYS:
            errors["coupon_valid_days"] = (
                f"有效天数至多{MAX_COUPON_VALID_DAYS}天 / at most {MAX_COUPON_VALID_DAYS} days"
            )
        elif begin is None and end is None and not days:
            errors["coupon_valid_days"] = (
                "须填写有效期日期或有效天数 / give dates or a number of days"
            )
        elif begin and end and days:
            errors["coupon_valid_days"] = "有效期日期与有效天数只能选一 / dates or days, not both"
        if self.open_date and self.close_date and self.close_date < self.open_date:
            errors["close_date"] = "领取结束时间必须晚于领取开始时间 / must not be before open_date"

        value, minimum = self.money_equivalent_value, self.minimum_consume or 0
        if self.coupon_type in (self.TYPE_GENERAL, self.TYPE_THRESHOLD):
            if value is None or value <= 0:
                errors["money_equivalent_value"] = "通用券/满减券须填写等值货币 / value required"
            if self.off_percent is not None:
                errors["off_percent"] = "只有折扣券填写折扣百分比 / only for 折扣券"
        if self.coupon_type == self.TYPE_THRESHOLD and value is not None and minimum <= value:
            errors["minimum_consume"] = "满减券的最低消费须大于等值货币 / must exceed the value"
        if self.coupon_type == self.TYPE_DISCOUNT:
            if self.off_percent is None or not 1 <= self.off_percent <= 99:
                errors["off_percent"] = "折扣券须填写1..99的折扣百分比 / 1..99 required"
            if value is not None:
                errors["money_equivalent_value"] = "折扣券不填写等值货币 / not for 折扣券"
        errors.update(self._binding_errors())
        if self.per_account_limit is not None and not (
            1 <= self.per_account_limit <= MAX_PER_ACCOUNT_LIMIT
        ):
            errors["per_account_limit"] = f"1..{MAX_PER_ACCOUNT_LIMIT}"
        errors.update(self._quantity_and_code_errors())
        if errors:
            raise ValidationError(errors)

    def _quantity_and_code_errors(self) -> dict[str, str]:
        errors = {}
        taken = (self.issued_count or 0) + (self.codes_outstanding or 0)
        if self.total_quantity is not None:
            if self.total_quantity < 1:
                errors["total_quantity"] = "至少为1,不限量请留空 / at least 1 (blank: unlimited)"
            elif self.total_quantity < taken:
                errors["total_quantity"] = (
                    f"已发出或已生成兑换码 {taken} 张,总量不能更少 / {taken} already given out"
                )
        self.code = normalize_public_code(self.code)
        if self.code is not None and not PUBLIC_CODE_RE.match(self.code):
            errors["code"] = "3-32位字母、数字、- 或 _ / 3-32 letters, digits, - or _"
        return errors

    def _binding_errors(self) -> dict[str, str]:
        if self.content_type_id is None and self.object_id is None:
            return {}
        if self.content_type_id is None or self.object_id is None:
            return {"object_id": "绑定课程须同时填写类型和课程id / give both type and id"}
        if self.content_type_id != ContentType.objects.get_for_model(Course).pk:
            return {"content_type": "只能绑定课程 / only courses can be bound"}
        if not Course.objects.filter(pk=self.object_id).exists():
            return {"object_id": "绑定的课程不存在 / no such course"}
        return {}

    def validity_for(self, get_time) -> tuple[Day, Day]:
        """The first and last day a record claimed at `get_time` can be used (pay.pricing)."""
        return coupon_validity(
            claim_day=timezone.localdate(get_time),
            valid_begin_date=self.valid_begin_date,
            valid_end_date=self.valid_end_date,
            valid_days=self.coupon_valid_days,
        )

    def valid_end_for(self, get_time) -> Day:
        """The last day a record claimed at `get_time` can be used."""
        return self.validity_for(get_time)[1]

    def valid_begin_for(self, get_time) -> Day:
        return self.validity_for(get_time)[0]


class CouponRecord(models.Model):
    """优惠券发放、消费纪录 (a coupon a user holds)."""

    STATUS_UNUSED, STATUS_USED, STATUS_EXPIRED = 0, 1, 2
    status_choices = (
        (STATUS_UNUSED, "未使用"),
        (STATUS_USED, "已使用"),
        (STATUS_EXPIRED, "已过期"),
    )

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, verbose_name="优惠券规则")
    number = models.CharField(max_length=64, unique=True, verbose_name="用户优惠券记录的流水号")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, verbose_name="拥有者")
    status = models.SmallIntegerField("状态", choices=status_choices, default=STATUS_UNUSED)
    get_time = models.DateTimeField(verbose_name="领取时间", help_text="用户领取时间")
    used_time = models.DateTimeField(blank=True, null=True, verbose_name="使用时间")
    order = models.ForeignKey(
        "Order",
        blank=True,
        null=True,
        on_delete=models.PROTECT,
        verbose_name="关联订单",
        related_name="coupon_records",
    )  # 一个订单可以有多个优惠券
    # The n-th record of this rule held by this account: unique, so racing claims cannot both take
    # the last slot of `per_account_limit` (enforced by the database, not by a count in Python).
    claim_seq = models.PositiveSmallIntegerField("领取序号", default=1)

    class Meta:
        verbose_name = verbose_name_plural = "14. 用户优惠券领取使用记录表"
        db_table = "pay_coupon_record"
        indexes = [models.Index(fields=["account", "status"], name="coupon_record_account_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "account", "claim_seq"], name="coupon_record_claim_slot"
            ),
            models.CheckConstraint(
                condition=Q(status=1, used_time__isnull=False) | ~Q(status=1),
                name="coupon_record_used_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.account}-{self.number}-{self.status}"

    @property
    def valid_end(self) -> date:
        return self.coupon.valid_end_for(self.get_time)

    def verdict(self, today: date) -> Verdict:
        """Whether the holder can use this record today (status and dates; pay.pricing)."""
        begin, end = self.coupon.validity_for(self.get_time)
        return coupon_verdict(status=self.status, valid_begin=begin, valid_end=end, today=today)

    def effective_status(self, today: date) -> int:
        """An unused record past its end shows as 已过期 even before expire_coupons writes it."""
        status = coupon_verdict(status=self.status, valid_end=self.valid_end, today=today).status
        assert status is not None  # a held record always has one
        return status


class RedemptionCode(models.Model):
    """兑换码: a one-time code staff generated for a rule, redeemed once by any account into a
    CouponRecord. Codes are stored without separators (see pay.redemption_codes.redemption_code_format)."""

    code = models.CharField("兑换码", max_length=32, unique=True)
    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, related_name="redemption_codes", verbose_name="优惠券规则"
    )
    created = models.DateTimeField("生成时间", auto_now_add=True)
    redeemed_by = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, verbose_name="兑换人"
    )
    redeemed_at = models.DateTimeField("兑换时间", null=True, blank=True)
    record = models.OneToOneField(
        CouponRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemption_code",
        verbose_name="兑换得到的券",
    )

    class Meta:
        verbose_name = verbose_name_plural = "17. 兑换码"
        db_table = "pay_redemption_code"
        indexes = [
            models.Index(fields=["coupon", "redeemed_at"], name="redemption_code_coupon_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(redeemed_by__isnull=True, redeemed_at__isnull=True, record__isnull=True)
                | Q(redeemed_by__isnull=False, redeemed_at__isnull=False, record__isnull=False),
                name="redemption_code_redeemed_complete",
            ),
        ]

    def __str__(self):
        return self.code


class Order(models.Model):
    """订单"""

    PAY_WECHAT, PAY_ALIPAY, PAY_COUPON, PAY_BEILI = 0, 1, 2, 3
    payment_type_choices = (
        (PAY_WECHAT, "微信"),
        (PAY_ALIPAY, "支付宝"),
        (PAY_COUPON, "优惠码"),
        (PAY_BEILI, "贝里"),
    )
    (
        STATUS_PAID,
        STATUS_UNPAID,
        STATUS_REFUNDING,
        STATUS_REFUNDED,
        STATUS_CANCELLED,
        STATUS_TIMED_OUT,
    ) = range(6)
    status_choices = (
        (STATUS_PAID, "交易成功"),
        (STATUS_UNPAID, "待支付"),
        (STATUS_REFUNDING, "退费申请中"),
        (STATUS_REFUNDED, "已退费"),
        (STATUS_CANCELLED, "主动取消"),
        (STATUS_TIMED_OUT, "超时取消"),
    )

    payment_type = models.SmallIntegerField("支付方式", choices=payment_type_choices)
    payment_number = models.CharField(
        max_length=128, verbose_name="支付第3方订单号", null=True, blank=True
    )
    order_number = models.CharField(max_length=128, verbose_name="订单号", unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, verbose_name="账户")
    actual_amount = models.DecimalField(verbose_name="实付金额", **MONEY)
    beili_used = models.PositiveIntegerField("使用贝里", default=0)
    status = models.SmallIntegerField(choices=status_choices, verbose_name="状态")
    date = models.DateTimeField(auto_now_add=True, verbose_name="订单生成时间")
    pay_time = models.DateTimeField(blank=True, null=True, verbose_name="付款时间")
    cancel_time = models.DateTimeField(blank=True, null=True, verbose_name="订单取消时间")
    # The checkout this order paid (settlement_store's Settlement.checkout): one checkout, one order.
    settlement_token = models.CharField("结算版本", max_length=64, null=True, blank=True)
    refund_flagged = models.BooleanField(
        "待退款", default=False, help_text="取消后仍收到支付通知,需人工退款"
    )
    # WeChat Native pay's code_url (WeChat hands it out once per trade; shown as a QR code).
    code_url = models.CharField("支付二维码链接", max_length=255, null=True, blank=True)
    # A refund (退费) asked by the buyer and decided by staff (statuses 2 and 3).
    refund_reason = models.CharField("退费原因", max_length=255, blank=True, default="")
    refund_request_time = models.DateTimeField("退费申请时间", blank=True, null=True)
    refund_time = models.DateTimeField("退费时间", blank=True, null=True)
    refund_memo = models.CharField("退费处理备注", max_length=255, blank=True, default="")
    # The global coupon this order was priced with (kept after a cancel gives it back).
    global_coupon = models.ForeignKey(
        "CouponRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="全局优惠券",
    )

    class Meta:
        verbose_name = verbose_name_plural = "15. 订单表"
        db_table = "pay_order"
        ordering = ("-date", "-id")
        indexes = [
            models.Index(fields=["account", "-date"], name="order_account_date_idx"),
            models.Index(fields=["status", "date"], name="order_status_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(actual_amount__gte=0), name="order_actual_amount_gte_0"
            ),
            models.UniqueConstraint(
                fields=["account", "settlement_token"],
                condition=Q(settlement_token__isnull=False),
                name="order_one_per_settlement_state",
            ),
        ]

    def __str__(self):
        return self.order_number

    @property
    def pay_deadline(self) -> datetime:
        """When an unpaid order times out (ORDER_PAY_TIMEOUT after it was made)."""
        return self.date + timedelta(seconds=settings.ORDER_PAY_TIMEOUT)

    def is_overdue(self, now=None) -> bool:
        """Unpaid past its deadline: it counts as timed out even before the command ran."""
        return self.status == self.STATUS_UNPAID and (now or timezone.now()) >= self.pay_deadline

    @property
    def can_refund(self) -> bool:
        """Paid with money, never asked before, and within REFUND_WINDOW_DAYS of payment."""
        return (
            self.status == self.STATUS_PAID
            and self.actual_amount > 0
            and self.pay_time is not None
            and self.refund_request_time is None
            and timezone.now() <= self.pay_time + timedelta(days=settings.REFUND_WINDOW_DAYS)
        )

    @property
    def can_cancel(self) -> bool:
        """Unpaid orders, and paid ones that took no money (贝里 and coupons only): those can be
        given back by a cancel. Money paid through the gateway needs a refund (退费) instead."""
        if self.status == self.STATUS_UNPAID:
            return not self.is_overdue()
        return self.status == self.STATUS_PAID and self.actual_amount == 0

    @property
    def can_pay(self) -> bool:
        """Unpaid and before its pay deadline (past it the order counts as timed out, even before
        the scheduled command has run): POST /api/orders/<n>/pay/ would hand out a pay URL."""
        return self.status == self.STATUS_UNPAID and not self.is_overdue()


class OrderDetail(models.Model):
    """订单详情"""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="details", verbose_name="订单"
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name="类型"
    )  # 可关联普通课程或学位
    object_id = models.PositiveIntegerField("课程id")
    content_object = GenericForeignKey("content_type", "object_id")

    original_price = models.DecimalField("课程原价", **MONEY)
    price = models.DecimalField("折后价格", **MONEY)
    valid_period_display = models.CharField("有效期显示", max_length=32)  # 在订单页显示
    valid_period = models.PositiveIntegerField("有效期(days)")  # 课程有效期
    memo = models.CharField(max_length=255, blank=True, null=True, verbose_name="备忘录")
    # How `price` came from `original_price`, as checkout showed it (null on orders made before
    # these were kept): original_price - course_discount - global_discount == price.
    course_coupon = models.ForeignKey(
        CouponRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="课程优惠券",
    )
    course_discount = models.DecimalField("课程券优惠", null=True, blank=True, **MONEY)
    global_discount = models.DecimalField("全局券分摊", null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = verbose_name_plural = "16. 订单详细"
        db_table = "pay_order_detail"
        constraints = [
            models.UniqueConstraint(
                fields=["order", "content_type", "object_id"], name="order_detail_one_per_course"
            ),
            models.CheckConstraint(
                condition=Q(original_price__gte=0, price__gte=0), name="order_detail_prices_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(price__lte=models.F("original_price")),
                name="order_detail_price_lte_original",
            ),
        ]

    def __str__(self):
        return f"{self.order} - {self.content_type} - {self.price}"


class TransactionRecord(models.Model):
    """贝里交易纪录: one row per balance change; `amount` is the size, the type gives the sign."""

    TYPE_INCOME, TYPE_SPEND, TYPE_REFUND, TYPE_WITHDRAW = 0, 1, 2, 3
    # 2 为了处理 订单过期未支付时,锁定期贝里的回退
    transaction_type_choices = (
        (TYPE_INCOME, "收入"),
        (TYPE_SPEND, "支出"),
        (TYPE_REFUND, "退款"),
        (TYPE_WITHDRAW, "提现"),
    )
    CREDITS = (TYPE_INCOME, TYPE_REFUND)

    account = models.ForeignKey(Account, on_delete=models.PROTECT, verbose_name="账户")
    amount = models.PositiveIntegerField("金额")
    balance = models.PositiveIntegerField("账户余额")
    transaction_type = models.SmallIntegerField("交易类型", choices=transaction_type_choices)
    transaction_number = models.CharField(unique=True, verbose_name="流水号", max_length=128)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, verbose_name="关联订单"
    )
    date = models.DateTimeField("交易时间", auto_now_add=True)
    memo = models.CharField(max_length=128, blank=True, null=True, verbose_name="备忘录")

    class Meta:
        verbose_name = verbose_name_plural = "17. 贝里交易记录"
        db_table = "pay_transaction_record"
        indexes = [models.Index(fields=["account", "id"], name="transaction_account_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_gt_0"),
            # An order spends 贝里 once and is refunded once, whatever retries or races happen.
            models.UniqueConstraint(
                fields=["order", "transaction_type"],
                condition=Q(order__isnull=False),
                name="transaction_once_per_order_and_type",
            ),
        ]

    def __str__(self):
        return self.transaction_number

    @property
    def signed_amount(self) -> int:
        return self.amount if self.transaction_type in self.CREDITS else -self.amount


class IdempotencyKey(models.Model):
    """A payment request's `Idempotency-Key`: its body's fingerprint and its first answer."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response = models.JSONField(null=True, blank=True)  # the first answer
    created = models.DateTimeField(auto_now_add=True)
    # A row is written with its answer, in the payment's transaction; the lease of a request
    # running is in Redis (pay/idempotency_store.py). `owner` and `lease_until` are the previous
    # version's lease: a row it left without an answer answers 1046 until `lease_until`.
    owner = models.CharField(max_length=32, default="")
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "支付幂等键"
        db_table = "pay_idempotency_key"
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="idempotency_key_per_account")
        ]
        indexes = [models.Index(fields=["created"], name="idempotency_key_created_idx")]

    def __str__(self):
        return f"{self.account_id}:{self.key}"
