// 订单详情 (#/order/<n>): each line's price, its course coupon and its share of the global coupon,
// then checkout's four figures and how they were paid (贝里 and money), so the numbers are the ones
// checkout showed. The actions (去支付, 取消订单, 申请退费) sit apart, under the figures.

import { api } from "../api.js";
import { h } from "../dom.js";
import { actionState, deadlineNote, orderActions, refundNote, statusBadge } from "./orders.js";
import { heading, time } from "./parts.js";

export const orderScreen = {
  title: "订单详情",
  async load(app, route) {
    const order = await api("GET", `orders/${encodeURIComponent(route.params[0] ?? "")}/`);
    return { order, ...actionState() };
  },
  view(app, state) {
    const { order } = state;
    return h(
      "section",
      { class: "order-page" },
      h("p", { class: "crumbs" }, h("a", { href: "#/orders" }, "我的订单"), " / ", order.order_number),
      heading("订单详情"),
      h(
        "article",
        { class: "panel order", "data-order": order.order_number, tabindex: "-1", "aria-label": `订单 ${order.order_number}` },
        h(
          "header",
          { class: "order-head" },
          h("span", { class: "order-number" }, `订单号 ${order.order_number}`),
          h("span", { class: "muted" }, time(order.date)),
          statusBadge(order),
        ),
        deadlineNote(order),
        refundNote(order),
        orderBreakdown(order),
        h(
          "div",
          { class: "order-actions" },
          orderActions(app, state, order, (changed) => {
            state.order = changed;
          }),
        ),
      ),
    );
  },
};

/** The lines and the amounts of an order, as checkout showed them (also on the payment screen). */
export function orderBreakdown(order) {
  const money = (value) => (value === null || value === undefined ? "—" : `¥${value}`);
  const off = (value) => (value === null || value === undefined ? "—" : `-¥${value}`);
  const a = order.amount || {};
  const row = (label, value, testid, kind = "") =>
    h("div", { class: `amount-row ${kind}` }, h("dt", {}, label), h("dd", { "data-testid": testid }, value));
  return [
    h("h2", { class: "sub" }, "课程明细"),
    h(
      "ul",
      { class: "order-detail-lines", "data-testid": "order-detail-lines" },
      order.details.map((d) =>
        h(
          "li",
          { "data-testid": "detail-line", "data-course": d.title },
          h("div", { class: "detail-title" }, h("strong", {}, d.title), h("span", { class: "muted" }, ` · ${d.valid_period_display}`)),
          h(
            "dl",
            { class: "detail-figures" },
            row("原价", money(d.original_price), "line-original"),
            row(d.course_coupon ? `课程券 ${d.course_coupon.name}` : "课程券", d.course_coupon ? off(d.course_discount) : "未使用", "line-course-coupon", "discount"),
            row("券后价(结算时显示)", money(d.discounted_price), "line-discounted"),
            row("全场券分摊", off(d.global_discount), "line-global-share", "discount"),
            row("本课实付", money(d.price), "line-price", "total"),
          ),
        ),
      ),
    ),
    h("h2", { class: "sub" }, "金额"),
    h(
      "dl",
      { class: "amount", "data-testid": "order-breakdown" },
      row("课程总价", money(a.total_price), "total-price"),
      row("课程优惠券", off(a.course_discount), "course-discount", "discount"),
      row(order.global_coupon ? `全场优惠券 ${order.global_coupon.name}` : "全场优惠券", off(a.global_discount), "global-discount", "discount"),
      row("应付金额", money(a.payable), "payable"),
      row(`贝里抵扣(${order.beili_used} 贝里)`, off(a.beili_money), "beili-money", "discount"),
      row(order.status === 1 ? "还需支付" : "实付金额", `¥${order.actual_amount}`, "actual-amount", "total"),
    ),
  ];
}
