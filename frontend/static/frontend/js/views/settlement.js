// 结算中心: per course a coupon of that course, one global coupon (the server pre-selects the best
// ones), the amount block recomputed by the server after every choice (PATCH /api/settlement/),
// 贝里 with its money value, 提交订单, and hints for coupons the buyer could still claim (a claimed
// coupon joins this settlement at once).

import { api, idempotencyKey } from "../api.js";
import { h } from "../dom.js";
import { beiliNeeded, beiliValueCents, fromCents, splitPayment, toCents } from "../money.js";
import { couponTerms, courseCover, heading } from "./parts.js";

const CHANGED = "已更新优惠券,价格已重新计算";

export const settlementScreen = {
  title: "结算中心",
  async load(app) {
    const [data, account, available] = await Promise.all([
      api("GET", "settlement/"),
      api("GET", "account/"),
      api("GET", "coupons/available/"),
    ]);
    app.setAccount(account);
    return { data, available, beili: 0, beiliText: "0", gateway: "alipay", payment: null, pending: null };
  },
  view,
};

function view(app, state) {
  const { settlement_list: lines, global_coupon_info: global, amount } = state.data;
  if (!lines.length) {
    return h(
      "section",
      { class: "settlement" },
      heading("结算中心"),
      h("p", { class: "empty" }, "结算中心是空的。", h("a", { href: "#/cart" }, "去购物车选择课程")),
    );
  }
  return h(
    "section",
    { class: "settlement", "data-pending": state.pending ? "true" : null, "aria-busy": state.pending ? "true" : null },
    heading("结算中心"),
    h(
      "div",
      { class: "settlement-grid" },
      h(
        "div",
        { class: "settlement-lines" },
        lines.map((line) => courseBlock(app, state, line)),
        h(
          "section",
          { key: "global", class: "panel", "data-testid": "global-coupons", "aria-labelledby": "global-coupons-title" },
          h("h2", { id: "global-coupons-title", tabindex: "-1" }, "全场优惠券"),
          couponChoices(app, state, {
            group: "global-coupon",
            label: "全场优惠券",
            coupons: globalCoupons(global),
            chosen: global.default_coupon_id,
            empty: "没有可用的全场优惠券",
            body: (id) => ({ global_coupon_id: id }),
          }),
        ),
        claimHints(app, state),
      ),
      h("aside", { class: "checkout", "aria-label": "支付" }, amountBlock(amount), beiliBlock(app, state)),
    ),
  );
}

/** The settlement as the server has it now, or undefined (the failure is shown) to keep the old one. */
function reload(app) {
  return app.act(() => api("GET", "settlement/"));
}

/** Choose a coupon: the choices are locked (a second choice cannot race the first) and show the
 * one asked for; the server's answer is then drawn, or on refusal a fresh GET. The focus stays on
 * the choice the user made. */
async function choose(app, state, group, id, body) {
  const focused = document.activeElement;
  state.pending = { group, id };
  app.update();
  await app.act(
    async () => {
      state.data = await api("PATCH", "settlement/", body);
    },
    { ok: CHANGED, failed: async () => (state.data = (await reload(app)) || state.data) },
  );
  state.pending = null;
  app.update();
  if (focused && focused.isConnected && document.activeElement !== focused) focused.focus();
}

function courseBlock(app, state, line) {
  const discounted = line.discounted_price !== line.price;
  const titleId = `course-line-${line.id}`;
  return h(
    "section",
    { key: `course-${line.id}`, class: "panel course-line", "data-course": line.title, "aria-labelledby": titleId },
    h(
      "header",
      { class: "line" },
      courseCover(line.title, line.img_src),
      h("div", { class: "grow" }, h("h2", { id: titleId, tabindex: "-1" }, line.title), h("span", { class: "muted" }, `有效期 ${line.period_display}`)),
      h(
        "div",
        { class: "prices" },
        discounted ? h("s", { class: "muted" }, `¥${line.price}`) : null,
        h("strong", { class: "price", "data-testid": "discounted-price" }, `¥${line.discounted_price}`),
      ),
    ),
    h("h3", {}, "课程优惠券"),
    couponChoices(app, state, {
      group: `course-coupon-${line.id}`,
      label: `${line.title} 课程优惠券`,
      coupons: line.course_coupons,
      chosen: line.default_course_coupon_id,
      empty: "这门课程没有可用的优惠券",
      body: (id) => ({ course_id: line.id, coupon_id: id }),
    }),
    h("button", { class: "link", onclick: (event) => returnToCart(app, state, line, event.currentTarget) }, "移回购物车"),
  );
}

function returnToCart(app, state, line, button) {
  return app.act(
    async () => {
      await api("DELETE", "settlement/", { course_id: line.id });
      await app.refreshCart();
    },
    { control: button, ok: `已移回购物车:${line.title}` },
  ).then(async () => {
    state.data = (await reload(app)) || state.data;
    app.update();
    document.querySelector("#view h1").focus();
  });
}

/** global_coupon_info is flat, as the seed's hash: coupon objects by record id, and the choice. */
function globalCoupons(info) {
  return Object.fromEntries(Object.entries(info).filter(([key]) => key !== "default_coupon_id"));
}

/** Radio choices: 不使用优惠券, then each coupon; unusable ones greyed out with their reason. */
function couponChoices(app, state, { group, label, coupons, chosen: server, empty, body }) {
  const list = Object.values(coupons);
  if (!list.length) return h("p", { class: "muted" }, empty);
  const chosen = state.pending && state.pending.group === group ? state.pending.id : server;
  const option = (coupon) => {
    const id = coupon ? coupon.id : null;
    const input = h("input", {
      type: "radio",
      name: group,
      value: id ?? "",
      checked: chosen === id,
      disabled: Boolean(state.pending) || (coupon ? !coupon.usable && chosen !== id : false),
      onchange: () => choose(app, state, group, id, body(id)),
    });
    if (!coupon) return h("label", { key: "none", class: "coupon-option none" }, input, h("span", {}, "不使用优惠券"));
    return h(
      "label",
      { key: id, class: `coupon-option${coupon.usable ? "" : " unusable"}`, "data-coupon": coupon.name },
      input,
      h("span", { class: "coupon-name" }, coupon.name),
      h("span", { class: "coupon-terms" }, couponTerms(coupon)),
      h("span", { class: "muted" }, `有效期至 ${coupon.valid_end}`),
      coupon.usable ? null : h("span", { class: "reason" }, `不可用:${coupon.reason}`),
    );
  };
  return h("div", { class: "coupon-choices", role: "radiogroup", "aria-label": label }, option(null), list.map(option));
}

/** Coupons claimable today that would join this settlement: for one of its courses, or global. */
function claimHints(app, state) {
  const courses = new Set(state.data.settlement_list.map((line) => line.id));
  const today = new Date().toLocaleDateString("sv-SE"); // YYYY-MM-DD
  // A coupon not valid yet would not join (API.md), so it is not hinted here.
  const validNow = (rule) => Boolean(rule.coupon_valid_days) || !rule.valid_begin_date || rule.valid_begin_date <= today;
  const rules = state.available.filter(
    (rule) =>
      rule.held < rule.per_account_limit &&
      rule.remaining !== 0 &&
      validNow(rule) &&
      (rule.object_id === null || courses.has(rule.object_id)),
  );
  if (!rules.length) return null;
  return h(
    "section",
    { key: "hints", class: "panel hints", "data-testid": "claim-hints", "aria-labelledby": "claim-hints-title" },
    h("h2", { id: "claim-hints-title" }, "还可以领取的优惠券"),
    h(
      "ul",
      { class: "hint-list" },
      rules.map((rule) =>
        h(
          "li",
          { key: rule.coupon_id, "data-coupon": rule.name },
          h("span", { class: "coupon-terms" }, couponTerms(rule)),
          h("span", { class: "grow" }, rule.name, h("span", { class: "muted" }, rule.object_id === null ? " · 全场通用" : " · 本单课程可用")),
          h("button", { class: "small", onclick: (event) => claim(app, state, rule, event.currentTarget) }, "领取"),
        ),
      ),
    ),
  );
}

async function claim(app, state, rule, button) {
  const record = await app.act(() => api("POST", "coupons/claim/", { coupon_id: rule.coupon_id }), {
    control: button,
    ok: (r) => [`已领取:${r.name}`, "ok", "已加入本单可选的优惠券"],
  });
  const [data, available] = await Promise.all([reload(app), api("GET", "coupons/available/").catch(() => state.available)]);
  state.data = data || state.data;
  state.available = available;
  app.update();
  if (!record || button.isConnected) return;
  // The focus goes to the new coupon among the choices (it is offered, not chosen), or to its
  // panel when it cannot be chosen yet (a 满减 coupon under its minimum).
  const joined = document.querySelector(`.settlement label[data-key="${record.id}"]`);
  const input = joined && joined.querySelector("input");
  if (input && !input.disabled) input.focus();
  else (joined?.closest("section.panel")?.querySelector("h2") || document.querySelector("#view h1")).focus();
}

function amountBlock(amount) {
  const row = (label, value, testid, kind = "") =>
    h("div", { class: `amount-row ${kind}` }, h("dt", {}, label), h("dd", { "data-testid": testid }, value));
  return h(
    "dl",
    { class: "amount panel" },
    row("课程总价", `¥${amount.total_price}`, "total-price"),
    row("课程优惠券", `-¥${amount.course_discount}`, "course-discount", "discount"),
    row("全场优惠券", `-¥${amount.global_discount}`, "global-discount", "discount"),
    row("应付金额", `¥${amount.payable}`, "payable", "total"),
  );
}

function beiliBlock(app, state) {
  const perYuan = app.account.beili_per_yuan;
  const payable = toCents(state.data.amount.payable);
  const usable = Math.min(app.account.balance, beiliNeeded(payable, perYuan));
  if (state.beili > usable) {
    state.beili = usable;
    state.beiliText = String(usable);
  }
  const split = splitPayment(payable, state.beili, perYuan);
  const setBeili = (wanted, text) => {
    state.beili = Number.isFinite(wanted) ? Math.max(0, Math.min(wanted, usable)) : 0;
    state.beiliText = String(state.beili) !== text && text !== "" ? String(state.beili) : text;
    app.update();
  };
  return h(
    "div",
    { class: "panel beili-block" },
    h("h2", {}, "贝里抵扣"),
    h("p", { class: "muted" }, `余额 ${app.account.balance} 贝里(${perYuan} 贝里 = ¥1),本单最多可用 ${usable}`),
    h(
      "div",
      { class: "beili-input" },
      h("input", {
        type: "number",
        min: 0,
        max: usable,
        step: 1,
        value: state.beiliText,
        inputmode: "numeric",
        "aria-label": "使用贝里",
        oninput: (event) => setBeili(Number.parseInt(event.target.value, 10), event.target.value),
      }),
      h("button", { class: "small", onclick: () => setBeili(usable, String(usable)) }, "全部使用"),
      h("span", { "data-testid": "beili-worth" }, `抵扣 ¥${fromCents(Math.min(beiliValueCents(state.beili, perYuan), payable))}`),
    ),
    h("div", { class: "amount-row total" }, h("span", {}, "还需支付"), h("strong", { "data-testid": "to-pay" }, `¥${fromCents(split.cents)}`)),
    gatewayChoice(state, split.cents === 0),
    h(
      "button",
      { class: "primary big", "data-testid": "pay", onclick: (event) => pay(app, state, event.currentTarget) },
      split.cents === 0 ? "提交订单(无需另付)" : `提交订单并支付 ¥${fromCents(split.cents)}`,
    ),
  );
}

/** 支付宝 or 微信支付 for the money left after 贝里 (hidden when nothing is left to pay). */
function gatewayChoice(state, hidden) {
  const option = (value, label) =>
    h(
      "label",
      { class: "gateway-option", "data-gateway": value },
      h("input", {
        type: "radio",
        name: "gateway",
        value,
        checked: state.gateway === value,
        onchange: () => {
          state.gateway = value;
        },
      }),
      h("span", {}, label),
    );
  return h(
    "fieldset",
    { class: "gateway-choices", "data-testid": "gateway", hidden },
    h("legend", {}, "支付方式"),
    option("alipay", "支付宝"),
    option("wechat", "微信支付"),
  );
}

async function pay(app, state, button) {
  const perYuan = app.account.beili_per_yuan;
  const split = splitPayment(toCents(state.data.amount.payable), state.beili, perYuan);
  const body = { balance: split.beili, price: fromCents(split.cents), gateway: state.gateway };
  // A retry of the very same payment (a lost answer, a double click) reuses its key.
  const fingerprint = JSON.stringify(body);
  if (!state.payment || state.payment.fingerprint !== fingerprint) {
    state.payment = { fingerprint, key: idempotencyKey() };
  }
  await app.act(
    async () => {
      const result = await api("POST", "payment/", body, { headers: { "Idempotency-Key": state.payment.key } });
      state.payment = null;
      await Promise.all([app.refreshAccount(), app.refreshCart()]);
      const message = result.status === 0 ? "支付成功" : "订单已提交,请完成支付";
      app.navigate("payment", [result.order_number], {}, [message, "ok"]);
    },
    {
      control: button,
      async failed(err) {
        if (err.code === 1040) {
          // Empty, or paid meanwhile (another tab): the server's detail says which, and names
          // the order that paid it.
          const paid = err.data && err.data.order_number;
          if (paid) app.navigate("orders", [], { order: paid }, app.describe(err));
          else app.navigate("cart", [], {}, app.describe(err));
          return;
        }
        if ([1041, 1042, 1043].includes(err.code)) {
          const [data] = await Promise.all([reload(app), app.refreshAccount()]);
          state.data = data || state.data;
          app.update();
        }
      },
    },
  );
}
