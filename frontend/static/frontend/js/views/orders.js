// 我的订单: status, lines, what was paid; 去支付 for an unpaid order, 取消订单 where the server
// allows it (coupons and 贝里 come back).

import { api } from "../api.js";
import { busy, h } from "../dom.js";
import { badge } from "./parts.js";

const STATUS_KIND = { 0: "ok", 1: "waiting", 2: "waiting", 3: "muted", 4: "muted", 5: "muted" };

export async function ordersView(app, route) {
  const orders = await api("GET", "orders/");
  const focus = route.query.get("order");
  const section = h("section", {}, h("h1", {}, "我的订单"));
  if (!orders.length) {
    section.append(h("p", { class: "empty" }, "还没有订单。", h("a", { href: "#/courses" }, "去选课")));
    return section;
  }
  section.append(h("div", { class: "orders" }, orders.map((order) => orderCard(app, order, order.order_number === focus))));
  // Back from the payment gateway (Alipay's return, or the development gateway's form).
  const returned = orders.find((order) => order.order_number === focus);
  if (returned && returned.status === 0 && returned.pay_time && !document.querySelector("[data-testid=flash-ok]")) {
    app.flash(`订单 ${returned.order_number} 已支付`, "ok");
  }
  return section;
}

export function orderCard(app, order, focused = false) {
  const time = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");
  return h(
    "article",
    { class: `panel order${focused ? " focused" : ""}`, "data-order": order.order_number },
    h(
      "header",
      { class: "order-head" },
      h("span", { class: "order-number" }, `订单号 ${order.order_number}`),
      h("span", { class: "muted" }, time(order.date)),
      h("span", { "data-testid": "order-status" }, badge(order.status_display, STATUS_KIND[order.status] || "muted")),
    ),
    h(
      "ul",
      { class: "order-lines" },
      order.details.map((d) => {
        // What checkout showed: the course's price after its own coupon (discounted_price); the
        // global coupon's share and the 贝里 are in the amount line below.
        const shown = d.discounted_price ?? d.price;
        return h(
          "li",
          { "data-testid": "order-line" },
          h("span", { class: "grow" }, d.title, d.course_coupon ? h("small", { class: "muted" }, ` · ${d.course_coupon.name} -¥${d.course_discount}`) : null),
          h("span", { class: "muted" }, d.valid_period_display),
          shown !== d.original_price ? h("s", { class: "muted" }, `¥${d.original_price}`) : null,
          h("span", { class: "price", "data-testid": "order-line-price" }, `¥${shown}`),
        );
      }),
    ),
    order.amount && order.amount.global_discount !== null
      ? h(
          "p",
          { class: "muted order-amount", "data-testid": "order-amount" },
          `合计 ¥${order.amount.total_price} · 课程券 -¥${order.amount.course_discount}`,
          order.global_coupon ? ` · ${order.global_coupon.name} -¥${order.amount.global_discount}` : "",
          ` · 应付 ¥${order.amount.payable} · 贝里抵扣 -¥${order.amount.beili_money}`,
        )
      : null,
    h(
      "footer",
      { class: "order-foot" },
      h("span", {}, `贝里 ${order.beili_used} · ${order.status === 1 ? "待付" : "实付"} `, h("strong", {}, `¥${order.actual_amount}`)),
      order.pay_url && order.pay_deadline ? h("span", { class: "muted", "data-testid": "pay-deadline" }, `请于 ${time(order.pay_deadline)} 前支付`) : null,
      order.pay_url ? h("a", { class: "button small primary", href: order.pay_url }, "去支付") : null,
      order.can_cancel ? cancelButton(app, order) : null,
    ),
  );
}

/** 取消订单 asks once more in place (no browser dialog), then cancels. */
function cancelButton(app, order) {
  const button = h("button", { class: "small danger" }, "取消订单");
  let armed = false;
  button.addEventListener("click", () => {
    if (!armed) {
      armed = true;
      button.textContent = "确认取消?优惠券和贝里将退回";
      return;
    }
    return busy(button, async () => {
      try {
        await api("POST", `orders/${encodeURIComponent(order.order_number)}/cancel/`);
        await app.refreshAccount();
        app.navigate("orders", [], { order: order.order_number }, [`订单 ${order.order_number} 已取消,优惠券和贝里已退回`, "ok"]);
      } catch (err) {
        app.error(err);
        app.render();
      }
    });
  });
  return button;
}
