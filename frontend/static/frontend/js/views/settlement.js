// 结算中心: per course a coupon of that course, one global coupon, the amount block recomputed by
// the server after every choice (PATCH /api/settlement/), 贝里 with its money value, 提交订单.

import { api, idempotencyKey } from "../api.js";
import { busy, h } from "../dom.js";
import { beiliNeeded, beiliValueCents, fromCents, splitPayment, toCents } from "../money.js";
import { couponTerms, courseCover } from "./parts.js";

export async function settlementView(app) {
  const [first, account] = await Promise.all([api("GET", "settlement/"), api("GET", "account/")]);
  app.setAccount(account);
  const section = h("section", { class: "settlement" });
  const state = { data: first, beili: 0, gateway: "alipay", payment: null };
  let changes = 0; // numbers each coupon change: only the newest answer is painted

  /** The settlement as the server has it now, or null (the failure is shown) to keep the old one. */
  async function reload() {
    try {
      return await api("GET", "settlement/");
    } catch (err) {
      app.error(err);
      return null;
    }
  }

  /** Apply a change on the server and repaint from its answer; on refusal repaint from a fresh GET.
   * The choices are locked meanwhile, so a second click cannot race the first. */
  async function change(body) {
    const mine = ++changes;
    section.dataset.pending = "true";
    for (const input of section.querySelectorAll(".coupon-choices input")) input.disabled = true;
    let data = null;
    try {
      data = await api("PATCH", "settlement/", body);
      app.flash("已更新优惠券,价格已重新计算", "ok");
    } catch (err) {
      app.error(err);
      data = await reload();
    }
    if (mine !== changes) return;
    if (data) state.data = data;
    delete section.dataset.pending;
    paint();
  }

  function paint() {
    section.replaceChildren(...build(app, state, { change, pay, returnToCart }));
  }

  async function returnToCart(line) {
    try {
      await api("DELETE", "settlement/", { course_id: line.id });
      app.flash(`已移回购物车:${line.title}`, "ok");
      await app.refreshCart();
    } catch (err) {
      app.error(err);
    }
    state.data = (await reload()) || state.data;
    paint();
  }

  async function pay(button) {
    const perYuan = app.account.beili_per_yuan;
    const split = splitPayment(toCents(state.data.amount.payable), state.beili, perYuan);
    const body = { balance: split.beili, price: fromCents(split.cents), gateway: state.gateway };
    // A retry of the very same payment (a lost answer, a double click) reuses its key.
    const fingerprint = JSON.stringify(body);
    if (!state.payment || state.payment.fingerprint !== fingerprint) {
      state.payment = { fingerprint, key: idempotencyKey() };
    }
    await busy(button, async () => {
      try {
        const result = await api("POST", "payment/", body, { headers: { "Idempotency-Key": state.payment.key } });
        state.payment = null;
        await Promise.all([app.refreshAccount(), app.refreshCart()]);
        const message = result.status === 0 ? "支付成功" : "订单已提交,请完成支付";
        app.navigate("payment", [result.order_number], {}, [message, "ok"]);
      } catch (err) {
        if (err.code === 1040) {
          // Empty, or paid meanwhile (another tab): the server's detail says which, and names
          // the order that paid it.
          const paid = err.data && err.data.order_number;
          if (paid) app.navigate("orders", [], { order: paid }, app.describe(err));
          else app.navigate("cart", [], {}, app.describe(err));
          return;
        }
        app.error(err);
        if ([1041, 1042, 1043].includes(err.code)) {
          const [data] = await Promise.all([reload(), app.refreshAccount()]);
          state.data = data || state.data;
          paint();
        }
      }
    });
  }

  paint();
  return section;
}

function build(app, state, actions) {
  const { settlement_list: lines, global_coupon_info: global, amount } = state.data;
  const title = h("h1", {}, "结算中心");
  if (!lines.length) {
    return [title, h("p", { class: "empty" }, "结算中心是空的。", h("a", { href: "#/cart" }, "去购物车选择课程"))];
  }
  return [
    title,
    h(
      "div",
      { class: "settlement-grid" },
      h(
        "div",
        { class: "settlement-lines" },
        lines.map((line) => courseBlock(line, actions)),
        h(
          "section",
          { class: "panel", "data-testid": "global-coupons" },
          h("h2", {}, "全场优惠券"),
          couponChoices({
            name: "global-coupon",
            coupons: globalCoupons(global),
            chosen: global.default_coupon_id,
            empty: "没有可用的全场优惠券",
            onchoose: (id) => actions.change({ global_coupon_id: id }),
          }),
        ),
      ),
      h("aside", { class: "checkout" }, amountBlock(amount), beiliBlock(app, state, actions)),
    ),
  ];
}

function courseBlock(line, actions) {
  const discounted = line.discounted_price !== line.price;
  return h(
    "section",
    { class: "panel course-line", "data-course": line.title },
    h(
      "header",
      { class: "line" },
      courseCover(line.title, line.img_src),
      h("div", { class: "grow" }, h("h2", {}, line.title), h("span", { class: "muted" }, `有效期 ${line.period_display}`)),
      h(
        "div",
        { class: "prices" },
        discounted ? h("s", { class: "muted" }, `¥${line.price}`) : null,
        h("strong", { class: "price", "data-testid": "discounted-price" }, `¥${line.discounted_price}`),
      ),
    ),
    h("h3", {}, "课程优惠券"),
    couponChoices({
      name: `course-coupon-${line.id}`,
      coupons: line.course_coupons,
      chosen: line.default_course_coupon_id,
      empty: "这门课程没有可用的优惠券",
      onchoose: (id) => actions.change({ course_id: line.id, coupon_id: id }),
    }),
    h("button", { class: "link", onclick: () => actions.returnToCart(line) }, "移回购物车"),
  );
}

/** global_coupon_info is flat, as the seed's hash: coupon objects by record id, and the choice. */
function globalCoupons(info) {
  return Object.fromEntries(Object.entries(info).filter(([key]) => key !== "default_coupon_id"));
}

/** Radio choices: 不使用优惠券, then each coupon; unusable ones greyed out with their reason. */
function couponChoices({ name, coupons, chosen, empty, onchoose }) {
  const list = Object.values(coupons);
  if (!list.length) return h("p", { class: "muted" }, empty);
  const option = (coupon) => {
    const id = coupon ? coupon.id : null;
    const input = h("input", {
      type: "radio",
      name,
      value: id ?? "",
      checked: chosen === id,
      disabled: coupon ? !coupon.usable && chosen !== id : false,
    });
    input.addEventListener("change", () => onchoose(id));
    if (!coupon) return h("label", { class: "coupon-option none" }, input, h("span", {}, "不使用优惠券"));
    return h(
      "label",
      { class: `coupon-option${coupon.usable ? "" : " unusable"}`, "data-coupon": coupon.name },
      input,
      h("span", { class: "coupon-name" }, coupon.name),
      h("span", { class: "coupon-terms" }, couponTerms(coupon)),
      h("span", { class: "muted" }, `有效期至 ${coupon.valid_end}`),
      coupon.usable ? null : h("span", { class: "reason" }, `不可用:${coupon.reason}`),
    );
  };
  return h("div", { class: "coupon-choices", role: "radiogroup" }, option(null), list.map(option));
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

function beiliBlock(app, state, actions) {
  const perYuan = app.account.beili_per_yuan;
  const payable = toCents(state.data.amount.payable);
  const usable = Math.min(app.account.balance, beiliNeeded(payable, perYuan));
  state.beili = Math.min(state.beili, usable);

  const input = h("input", {
    type: "number",
    min: 0,
    max: usable,
    step: 1,
    value: state.beili,
    inputmode: "numeric",
    "aria-label": "使用贝里",
  });
  const worth = h("span", { "data-testid": "beili-worth" });
  const left = h("strong", { "data-testid": "to-pay" });
  const submit = h("button", { class: "primary big", "data-testid": "pay" });

  const gateways = gatewayChoice(state);

  function update() {
    const split = splitPayment(payable, state.beili, perYuan);
    worth.textContent = `抵扣 ¥${fromCents(Math.min(beiliValueCents(state.beili, perYuan), payable))}`;
    left.textContent = `¥${fromCents(split.cents)}`;
    submit.textContent = split.cents === 0 ? "提交订单(无需另付)" : `提交订单并支付 ¥${fromCents(split.cents)}`;
    gateways.hidden = split.cents === 0;
  }
  input.addEventListener("input", () => {
    const wanted = Number.parseInt(input.value, 10);
    state.beili = Number.isFinite(wanted) ? Math.max(0, Math.min(wanted, usable)) : 0;
    if (String(state.beili) !== input.value && input.value !== "") input.value = state.beili;
    update();
  });
  const all = h("button", { class: "small" }, "全部使用");
  all.addEventListener("click", () => {
    state.beili = usable;
    input.value = usable;
    update();
  });
  submit.addEventListener("click", () => actions.pay(submit));
  update();

  return h(
    "div",
    { class: "panel beili-block" },
    h("h2", {}, "贝里抵扣"),
    h("p", { class: "muted" }, `余额 ${app.account.balance} 贝里(${perYuan} 贝里 = ¥1),本单最多可用 ${usable}`),
    h("div", { class: "beili-input" }, input, all, worth),
    h("div", { class: "amount-row total" }, h("span", {}, "还需支付"), left),
    gateways,
    submit,
  );
}

/** 支付宝 or 微信支付 for the money left after 贝里 (hidden when nothing is left to pay). */
function gatewayChoice(state) {
  const option = (value, label) => {
    const input = h("input", { type: "radio", name: "gateway", value, checked: state.gateway === value });
    input.addEventListener("change", () => {
      state.gateway = value;
    });
    return h("label", { class: "gateway-option", "data-gateway": value }, input, h("span", {}, label));
  };
  return h(
    "fieldset",
    { class: "gateway-choices", "data-testid": "gateway" },
    h("legend", {}, "支付方式"),
    option("alipay", "支付宝"),
    option("wechat", "微信支付"),
  );
}
