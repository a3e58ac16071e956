// 支付: after 提交订单, or 去支付 of a WeChat order. Shows the order's outcome and, while it waits,
// how to pay: WeChat's code to scan on a desktop (a QR code drawn by the server), a link to
// Alipay's or WeChat's page otherwise (the development gateway when they are not configured).
// While it waits, the screen asks for the order's status every few seconds and moves on by itself
// once paid; it stops at the pay deadline (or when the buyer leaves the screen). Cancelling is on
// the order's own screen, never beside 支付成功.

import { api } from "../api.js";
import { h } from "../dom.js";
import { orderBreakdown } from "./order.js";
import { deadlineNote, statusBadge } from "./orders.js";
import { heading } from "./parts.js";

const POLL_MS = 2000;
const GATEWAY = { alipay: "支付宝", wechat: "微信支付" };

export const paymentScreen = {
  title: "支付",
  async load(app, route) {
    const [number = ""] = route.params;
    const order = await api("GET", `orders/${encodeURIComponent(number)}/`);
    // Where to pay is asked for this one order only (the server signs it now); a refusal (paid or
    // timed out meanwhile) just leaves the order as it is shown.
    const pay = order.can_pay ? await api("POST", `orders/${encodeURIComponent(number)}/pay/`).catch(() => null) : null;
    const state = { order, pay };
    if (order.status === 1 && order.pay_deadline) watch(app, state);
    return state;
  },
  view(app, state) {
    const { order, pay } = state;
    const paid = order.status === 0;
    const waiting = order.status === 1;
    const detail = `#/order/${encodeURIComponent(order.order_number)}`;
    return h(
      "section",
      { class: "payment-result" },
      heading(paid ? "支付成功" : waiting ? "等待支付" : order.status_display),
      h(
        "p",
        { class: "lead", "data-testid": "payment-status" },
        paid
          ? `订单 ${order.order_number} 已支付,使用 ${order.beili_used} 贝里,另付 ¥${order.actual_amount}。`
          : waiting
            ? `订单 ${order.order_number} 已提交,还需支付 ¥${order.actual_amount}。`
            : `订单 ${order.order_number}:${order.status_display}`,
      ),
      waiting && pay ? payBlock(order, pay) : null,
      h(
        "div",
        { class: "panel order", "data-order": order.order_number },
        h("header", { class: "order-head" }, h("span", { class: "order-number" }, `订单号 ${order.order_number}`), statusBadge(order)),
        deadlineNote(order),
        orderBreakdown(order),
      ),
      h("p", {}, h("a", { href: detail }, "订单详情"), " · ", h("a", { href: "#/orders" }, "查看全部订单"), " · ", h("a", { href: "#/courses" }, "继续选课")),
    );
  },
};

function isDevGateway(url) {
  return Boolean(url) && url.startsWith("/api/payment/dev_gateway/");
}

/** How to pay: the QR code (WeChat on a desktop) and/or a link to the gateway's page. */
function payBlock(order, pay) {
  const name = GATEWAY[pay.gateway] || "支付网关";
  const dev = isDevGateway(pay.pay_url);
  const deadline = order.pay_deadline ? new Date(order.pay_deadline).toLocaleTimeString("zh-CN", { hour12: false }) : "";
  const parts = [];
  if (pay.qr_code && !isPhone()) {
    parts.push(
      h(
        "figure",
        { class: "qr", "data-testid": "pay-qr" },
        h("img", { src: pay.qr_code, alt: `${name}二维码`, width: 200, height: 200 }),
        h("figcaption", {}, `请使用微信扫一扫,支付 ¥${order.actual_amount}`),
      ),
    );
  }
  if (pay.pay_url) {
    const label = dev ? `前往开发支付网关(${name})支付 ¥${order.actual_amount}` : `前往${name}支付 ¥${order.actual_amount}`;
    // Next to a code to scan, the page opens beside this screen, which keeps watching the order.
    const beside = pay.qr_code ? { target: "_blank", rel: "noopener" } : {};
    parts.push(h("a", { class: "button primary big", href: pay.pay_url, "data-testid": "pay-link", ...beside }, label));
  }
  parts.push(h("p", { class: "muted", "data-testid": "pay-waiting" }, `支付完成后本页会自动更新;请在 ${deadline} 前完成支付。`));
  return h("div", { class: "pay-block" }, ...parts);
}

function isPhone() {
  return /Mobile|Android|iPhone|iPad|iPod|HarmonyOS|MicroMessenger/i.test(navigator.userAgent);
}

/** Ask for the order's status until it is no longer waiting, the deadline passes, or the buyer
 * leaves this screen (its state is no longer the one shown); then show it as it is. */
function watch(app, state) {
  const deadline = new Date(state.order.pay_deadline).getTime();
  const path = `orders/${encodeURIComponent(state.order.order_number)}/`;
  async function tick() {
    if (!app.isShowing(state)) return; // the buyer left this screen
    let now = state.order;
    try {
      now = await api("GET", path);
    } catch {
      // A lost answer: ask again at the next tick (the deadline still ends the wait).
    }
    if (!app.isShowing(state)) return;
    // Past the deadline (the server times the order out when it is read: coupons and 贝里 go
    // back) this screen stops asking.
    if (now.status === 5 || (now.status === 1 && Date.now() >= deadline)) {
      state.order = { ...now, status: 5, status_display: "支付已超时", pay_deadline: null };
      app.update();
      app.flash("订单已超过支付时限,请重新下单", "error");
      app.refreshAccount();
      return;
    }
    if (now.status !== 1) {
      state.order = now;
      app.update();
      if (now.status === 0) app.flash(`订单 ${now.order_number} 已支付`, "ok");
      return;
    }
    setTimeout(tick, POLL_MS);
  }
  setTimeout(tick, POLL_MS);
}
