// 我的订单: status, lines, what was paid, in pages of 20 (`?page=`); 去支付 for an unpaid order
// (with its deadline; its pay URL is signed only then: POST orders/<n>/pay/), 取消订单 where the
// server allows it (coupons and 贝里 come back), 申请退费 on orders paid with money and where a
// refund stands.

import { api } from "../api.js";
import { busy, h } from "../dom.js";
import { badge } from "./parts.js";

const STATUS_KIND = { 0: "ok", 1: "waiting", 2: "waiting", 3: "muted", 4: "muted", 5: "muted" };

export async function ordersView(app, route) {
  const pageNumber = Math.max(1, Number.parseInt(route.query.get("page"), 10) || 1);
  const page = await api("GET", `orders/?page=${pageNumber}`);
  const orders = page.results;
  // Reading the orders times out overdue ones on the server, giving their 贝里 back.
  if (orders.some((order) => order.status === 5)) app.refreshAccount();
  const focus = route.query.get("order");
  const section = h("section", {}, h("h1", {}, "我的订单"));
  if (!orders.length) {
    section.append(h("p", { class: "empty" }, "还没有订单。", h("a", { href: "#/courses" }, "去选课")));
    return section;
  }
  section.append(h("div", { class: "orders" }, orders.map((order) => orderCard(app, order, order.order_number === focus))));
  if (page.previous || page.next) section.append(pager(pageNumber, page));
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
    order.pay_deadline ? h("p", { class: "order-note", "data-testid": "pay-deadline" }, `请在 ${time(order.pay_deadline)} 前支付,逾期订单自动取消,优惠券和贝里退回`) : null,
    refundNote(order, time),
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
      // A code to scan (WeChat Native) is shown on the payment screen, which watches the order.
      order.code_url
        ? h("a", { class: "button small primary", href: `#/payment/${encodeURIComponent(order.order_number)}` }, "去支付")
        : order.can_pay
          ? payButton(app, order, { class: "small primary" }, "去支付")
          : null,
      order.can_cancel ? cancelButton(app, order) : null,
      order.can_refund ? refundButton(app, order) : null,
    ),
  );
}

function pager(pageNumber, page) {
  const link = (n, label) => h("a", { class: "button small", href: `#/orders?page=${n}` }, label);
  return h(
    "nav",
    { class: "pager", "data-testid": "orders-pager" },
    page.previous ? link(pageNumber - 1, "上一页") : null,
    h("span", { class: "muted" }, `第 ${pageNumber} 页 · 共 ${page.count} 个订单`),
    page.next ? link(pageNumber + 1, "下一页") : null,
  );
}

/** 去支付: the server signs this order's pay URL now, then the browser goes there (a code to
 * scan, with no page to open, is shown on the payment screen). */
export function payButton(app, order, props, label) {
  const button = h("button", props, label);
  button.addEventListener("click", () =>
    busy(button, async () => {
      try {
        const { pay_url: payUrl } = await api("POST", `orders/${encodeURIComponent(order.order_number)}/pay/`);
        if (payUrl) window.location.assign(payUrl);
        else window.location.hash = `#/payment/${encodeURIComponent(order.order_number)}`;
      } catch (err) {
        app.error(err);
        app.render();
      }
    }),
  );
  return button;
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

/** Where a refund stands: asked (with the reason), refunded (when), or refused (staff's memo). */
function refundNote(order, time) {
  if (order.status === 2) {
    return h("p", { class: "order-note", "data-testid": "refund-status" }, `退费申请已提交(${time(order.refund_request_time)}),等待审核`, order.refund_reason ? ` · 原因:${order.refund_reason}` : "");
  }
  if (order.status === 3) {
    return h("p", { class: "order-note", "data-testid": "refund-status" }, `已退费(${time(order.refund_time)}):¥${order.actual_amount} 原路退回,贝里和有效的优惠券已退回`);
  }
  if (order.refund_request_time && order.status === 0) {
    return h("p", { class: "order-note", "data-testid": "refund-status" }, `退费申请未通过${order.refund_memo ? `:${order.refund_memo}` : ""}`);
  }
  return null;
}

/** 申请退费 opens a reason field in place, then asks the server. */
function refundButton(app, order) {
  const wrap = h("span", { class: "refund-ask" });
  const open = h("button", { class: "small" }, "申请退费");
  open.addEventListener("click", () => {
    const reason = h("input", { type: "text", maxlength: "255", placeholder: "退费原因(选填)", "aria-label": "退费原因" });
    const send = h("button", { class: "small danger" }, "提交退费申请");
    send.addEventListener("click", () =>
      busy(send, async () => {
        try {
          await api("POST", `orders/${encodeURIComponent(order.order_number)}/refund/`, { reason: reason.value });
          app.navigate("orders", [], { order: order.order_number }, [`订单 ${order.order_number} 的退费申请已提交,等待审核`, "ok"]);
        } catch (err) {
          app.error(err);
          app.render();
        }
      }),
    );
    wrap.replaceChildren(reason, send);
    reason.focus();
  });
  wrap.append(open);
  return wrap;
}
