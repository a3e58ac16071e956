// 我的订单: status, lines, what was paid, in pages of 20 (`?page=`); each order links to its detail
// (order.js). 去支付 for an unpaid order (with its deadline; its pay URL is signed only then:
// POST orders/<n>/pay/), 取消订单 where the server allows it (coupons and 贝里 come back), 申请退费
// on orders paid with money and where a refund stands. The same actions serve the detail screen.

import { api } from "../api.js";
import { h } from "../dom.js";
import { badge, heading, pageNumberOf, pager, time } from "./parts.js";

const STATUS_KIND = { 0: "ok", 1: "waiting", 2: "waiting", 3: "muted", 4: "muted", 5: "muted" };

export const ordersScreen = {
  title: "我的订单",
  async load(app, route) {
    const pageNumber = pageNumberOf(route);
    const page = await api("GET", `orders/?page=${pageNumber}`);
    // Reading the orders times out overdue ones on the server, giving their 贝里 back.
    if (page.results.some((order) => order.status === 5)) app.refreshAccount();
    const focus = route.query.get("order");
    // Back from the payment gateway (Alipay's return, or the development gateway's form).
    const returned = page.results.find((order) => order.order_number === focus);
    if (returned && returned.status === 0 && returned.pay_time && !document.querySelector("[data-testid=flash-ok]")) {
      app.flash(`订单 ${returned.order_number} 已支付`, "ok");
    }
    return { page, pageNumber, focus, ...actionState() };
  },
  view(app, state) {
    const orders = state.page.results;
    if (!orders.length) {
      return h("section", {}, heading("我的订单"), h("p", { class: "empty" }, "还没有订单。", h("a", { href: "#/courses" }, "去选课")));
    }
    const replace = (order) => {
      state.page.results = state.page.results.map((o) => (o.order_number === order.order_number ? order : o));
    };
    return h(
      "section",
      {},
      heading("我的订单"),
      h("div", { class: "orders" }, orders.map((order) => orderCard(app, state, order, replace))),
      pager({ page: state.page, pageNumber: state.pageNumber, href: (n) => `#/orders?page=${n}`, noun: "个订单", testid: "orders-pager" }),
    );
  },
};

/** What the order actions keep between draws: a 取消订单 asked once, a refund being written. */
export function actionState() {
  return { armed: new Set(), refunding: new Map() };
}

export function statusBadge(order) {
  return h("span", { "data-testid": "order-status" }, badge(order.status_display, STATUS_KIND[order.status] || "muted"));
}

export function deadlineNote(order) {
  return order.pay_deadline
    ? h("p", { class: "order-note", "data-testid": "pay-deadline" }, `请在 ${time(order.pay_deadline)} 前支付,逾期订单自动取消,优惠券和贝里退回`)
    : null;
}

function orderCard(app, state, order, replace) {
  return h(
    "article",
    {
      key: order.order_number,
      class: `panel order${order.order_number === state.focus ? " focused" : ""}`,
      "data-order": order.order_number,
      tabindex: "-1",
      "aria-label": `订单 ${order.order_number}`,
    },
    h(
      "header",
      { class: "order-head" },
      h("a", { class: "order-number", href: `#/order/${encodeURIComponent(order.order_number)}` }, `订单号 ${order.order_number}`),
      h("span", { class: "muted" }, time(order.date)),
      statusBadge(order),
    ),
    deadlineNote(order),
    refundNote(order),
    h(
      "ul",
      { class: "order-lines" },
      order.details.map((d) => {
        // What checkout showed: the course's price after its own coupon (discounted_price); the
        // global coupon's share and the 贝里 are in the amount line below and on the detail screen.
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
      h("a", { class: "button small", href: `#/order/${encodeURIComponent(order.order_number)}` }, "订单详情"),
      orderActions(app, state, order, replace),
    ),
  );
}

/** 去支付, 取消订单, 申请退费: what the server would accept now (can_pay, can_cancel, can_refund). */
export function orderActions(app, state, order, replace) {
  const number = order.order_number;
  const path = (action) => `orders/${encodeURIComponent(number)}/${action}/`;
  /** After an action the order is drawn as the server answered it, and the focus goes to it. */
  const show = (changed) => {
    replace(changed);
    state.armed.delete(number);
    state.refunding.delete(number);
    app.update();
    document.querySelector(`[data-order="${CSS.escape(number)}"]`)?.focus();
  };
  const parts = [];
  // A code to scan (WeChat Native) is shown on the payment screen, which watches the order.
  if (order.code_url) {
    parts.push(h("a", { class: "button small primary", href: `#/payment/${encodeURIComponent(number)}` }, "去支付"));
  } else if (order.can_pay) {
    parts.push(
      h(
        "button",
        {
          class: "small primary",
          onclick: (event) =>
            app.act(
              async () => {
                const { pay_url: payUrl } = await api("POST", path("pay"));
                if (payUrl) window.location.assign(payUrl);
                else window.location.hash = `#/payment/${encodeURIComponent(number)}`;
              },
              { control: event.currentTarget, failed: () => app.render() },
            ),
        },
        "去支付",
      ),
    );
  }
  if (order.can_cancel) {
    // 取消订单 asks once more in place (no browser dialog), then cancels.
    const armed = state.armed.has(number);
    parts.push(
      h(
        "button",
        {
          key: "cancel",
          class: "small danger",
          onclick: (event) => {
            if (!armed) {
              state.armed.add(number);
              app.update();
              return;
            }
            return app.act(
              async () => {
                const cancelled = await api("POST", path("cancel"));
                await app.refreshAccount();
                show(cancelled);
              },
              { control: event.currentTarget, ok: `订单 ${number} 已取消,优惠券和贝里已退回`, failed: () => app.render() },
            );
          },
        },
        armed ? "确认取消?优惠券和贝里将退回" : "取消订单",
      ),
    );
  }
  if (order.can_refund) parts.push(refundAsk(app, state, order, path("refund"), show));
  return parts;
}

/** 申请退费 opens a reason field in place, then asks the server. */
function refundAsk(app, state, order, path, show) {
  const number = order.order_number;
  if (!state.refunding.has(number)) {
    return h(
      "span",
      { class: "refund-ask", key: "refund" },
      h(
        "button",
        {
          class: "small",
          onclick: () => {
            state.refunding.set(number, "");
            app.update();
            document.querySelector(`[data-order="${CSS.escape(number)}"] .refund-ask input`)?.focus();
          },
        },
        "申请退费",
      ),
    );
  }
  return h(
    "span",
    { class: "refund-ask", key: "refund" },
    h("input", {
      type: "text",
      maxlength: "255",
      placeholder: "退费原因(选填)",
      "aria-label": "退费原因",
      value: state.refunding.get(number),
      oninput: (event) => state.refunding.set(number, event.target.value),
    }),
    h(
      "button",
      {
        class: "small danger",
        onclick: (event) =>
          app.act(
            async () => show(await api("POST", path, { reason: state.refunding.get(number) })),
            { control: event.currentTarget, ok: `订单 ${number} 的退费申请已提交,等待审核`, failed: () => app.render() },
          ),
      },
      "提交退费申请",
    ),
  );
}

/** Where a refund stands: asked (with the reason), refunded (when), or refused (staff's memo). */
export function refundNote(order) {
  const note = (...text) => h("p", { class: "order-note", "data-testid": "refund-status" }, ...text);
  if (order.status === 2) {
    return note(`退费申请已提交(${time(order.refund_request_time)}),等待审核`, order.refund_reason ? ` · 原因:${order.refund_reason}` : "");
  }
  if (order.status === 3) {
    return note(`已退费(${time(order.refund_time)}):¥${order.actual_amount} 原路退回,贝里和有效的优惠券已退回`);
  }
  if (order.refund_request_time && order.status === 0) {
    return note(`退费申请未通过${order.refund_memo ? `:${order.refund_memo}` : ""}`);
  }
  return null;
}
