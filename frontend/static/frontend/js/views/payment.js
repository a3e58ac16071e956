// 支付结果: paid at once (贝里 and coupons covered it), or waiting for the gateway: a link to
// Alipay's page (or the development gateway when Alipay is not configured).

import { api } from "../api.js";
import { h } from "../dom.js";
import { orderCard, payButton } from "./orders.js";

export async function paymentView(app, route) {
  const [number] = route.params;
  const order = await api("GET", `orders/${encodeURIComponent(number)}/`);
  const paid = order.status === 0;
  return h(
    "section",
    { class: "payment-result" },
    h("h1", {}, paid ? "支付成功" : order.status === 1 ? "等待支付" : order.status_display),
    h(
      "p",
      { class: "lead", "data-testid": "payment-status" },
      paid
        ? `订单 ${order.order_number} 已支付,使用 ${order.beili_used} 贝里,另付 ¥${order.actual_amount}。`
        : order.status === 1
          ? `订单 ${order.order_number} 已提交,还需支付 ¥${order.actual_amount}。`
          : `订单 ${order.order_number}:${order.status_display}`,
    ),
    order.can_pay ? payButton(app, order, { class: "primary big", "data-testid": "pay-link" }, `前往支付 ¥${order.actual_amount}`) : null,
    orderCard(app, order),
    h("p", {}, h("a", { href: "#/orders" }, "查看全部订单"), " · ", h("a", { href: "#/courses" }, "继续选课")),
  );
}
