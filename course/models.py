"""Accounts (with their 贝里 balance), courses and their price policies."""

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Account(AbstractUser):
    """A shop user. `balance` is 贝里, an integer; every change has a ledger row (pay app)."""

    balance = models.PositiveIntegerField("贝里余额", default=0)
    # Part of every login token's stamp (utils/token_store.py): + 1 ends every token of the account.
    token_generation = models.PositiveIntegerField("登录令牌代数", default=0, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "账户"
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="account_balance_gte_0")
        ]


class Course(models.Model):
    STATUS_ON_SALE, STATUS_OFFLINE, STATUS_COMING = 0, 1, 2
    status_choices = ((STATUS_ON_SALE, "上线"), (STATUS_OFFLINE, "下线"), (STATUS_COMING, "预上线"))

    name = models.CharField("课程名称", max_length=128, unique=True)
    course_img = models.CharField("课程图片", max_length=255, blank=True, default="")
    brief = models.TextField("课程概述", blank=True, default="")
    status = models.SmallIntegerField("课程状态", choices=status_choices, default=STATUS_ON_SALE)
    order = models.IntegerField("课程顺序", default=0, help_text="从上一个课程数字往后排")
    price_policy = GenericRelation("PricePolicy")

    class Meta:
        verbose_name = verbose_name_plural = "课程"
        ordering = ("order", "id")
        indexes = [models.Index(fields=["status", "order"], name="course_status_order_idx")]

    def __str__(self):
        return self.name


class PricePolicy(models.Model):
    """A price for a validity period, bound to a course through a generic key (LuffyCity's shape)."""

    # LuffyCity's periods as day counts; the tutorial wrote 210 for 12个月, fixed to 360 here.
    valid_period_choices = (
        (1, "1天"),
        (3, "3天"),
        (7, "1周"),
        (14, "2周"),
        (30, "1个月"),
        (60, "2个月"),
        (90, "3个月"),
        (180, "6个月"),
        (360, "12个月"),
        (540, "18个月"),
        (720, "24个月"),
    )

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    valid_period = models.SmallIntegerField("有效期", choices=valid_period_choices)
    price = models.DecimalField("价格", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "价格策略"
        ordering = ("valid_period",)
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "valid_period"],
                name="price_policy_unique_period",
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="price_policy_price_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.content_object}({self.get_valid_period_display()}){self.price}"
