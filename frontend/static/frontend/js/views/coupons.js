// 我的优惠券: the wallet (filter by status), a code box (a rule's public code, or a one-time
// 兑换码), and the coupons claimable today (领取; 已领完 when a limited rule has none left).

import { api } from "../api.js";
import { busy, h } from "../dom.js";
import { badge, couponTerms } from "./parts.js";

const TABS = [
  ["", "全部"],
  ["0", "未使用"],
  ["1", "已使用"],
  ["2", "已过期"],
];
const STATUS = { 0: ["未使用", "ok"], 1: ["已使用", "muted"], 2: ["已过期", "muted"] };

export async function couponsView(app, route) {
  const status = route.query.get("status") || "";
  const [wallet, claimable] = await Promise.all([
    api("GET", status ? `coupons/?status=${status}` : "coupons/"),
    api("GET", "coupons/available/"),
  ]);
  return h(
    "section",
    {},
    h("h1", {}, "我的优惠券"),
    h(
      "nav",
      { class: "tabs", "aria-label": "按状态筛选" },
      TABS.map(([value, label]) =>
        h("a", { href: value ? `#/coupons?status=${value}` : "#/coupons", class: value === status ? "active" : null }, label),
      ),
    ),
    codeForms(app),
    wallet.length
      ? h("div", { class: "coupon-grid", "data-testid": "wallet" }, wallet.map(walletCoupon))
      : h("p", { class: "empty" }, "这里没有优惠券。"),
    h("h2", {}, "可领取的优惠券"),
    claimable.length
      ? h("div", { class: "coupon-grid" }, claimable.map((rule) => claimableCoupon(app, rule)))
      : h("p", { class: "empty" }, "今天没有可领取的优惠券。"),
  );
}

function walletCoupon(coupon) {
  const [label, kind] = STATUS[coupon.status];
  return h(
    "article",
    { class: `coupon-card${coupon.status === 0 ? "" : " unusable"}`, "data-coupon": coupon.name },
    h("div", { class: "coupon-value" }, couponTerms(coupon)),
    h("div", { class: "coupon-body" }, h("strong", {}, coupon.name), h("span", { class: "muted" }, `${coupon.coupon_type} · 有效期至 ${coupon.valid_end}`),
      coupon.status === 0 && !coupon.usable ? h("span", { class: "reason" }, coupon.reason) : null),
    h("span", { "data-testid": "coupon-status" }, badge(label, kind)),
  );
}

// One box per kind of code: a rule's public code (POST coupons/claim/ {code}) and a one-time
// 兑换码 (POST coupons/redeem/ {code}). Both answer the new record.
function codeForms(app) {
  const form = (label, placeholder, action, path, testid) => {
    const input = h("input", { name: testid, placeholder, autocomplete: "off", spellcheck: "false", required: true, maxlength: 64 });
    const submit = h("button", { type: "submit", class: "small primary" }, action);
    async function onsubmit(event) {
      event.preventDefault();
      await busy(submit, async () => {
        try {
          const record = await api("POST", path, { code: input.value.trim() });
          app.flash(`已领取:${record.name}`, "ok", "已在结算中心的课程,移回购物车再去结算即可使用新券");
          app.render();
        } catch (err) {
          app.error(err);
          input.select();
        }
      });
    }
    return h("form", { class: "code-form", onsubmit, "data-testid": testid }, h("label", {}, label, input), submit);
  };
  return h(
    "div",
    { class: "code-forms" },
    form("优惠码", "如 PYTHON2026", "领取", "coupons/claim/", "claim-code"),
    form("兑换码", "XXXX-XXXX-XXXX-XXXX", "兑换", "coupons/redeem/", "redeem-code"),
  );
}

function claimableCoupon(app, rule) {
  const validity = rule.coupon_valid_days ? `领取后 ${rule.coupon_valid_days} 天内有效` : `${rule.valid_begin_date} 至 ${rule.valid_end_date}`;
  const full = rule.held >= rule.per_account_limit;
  const soldOut = !full && rule.remaining === 0;
  const claim = h("button", { class: "small primary", disabled: full || soldOut }, full ? "已领取" : soldOut ? "已领完" : "领取");
  claim.addEventListener("click", () =>
    busy(claim, async () => {
      try {
        const record = await api("POST", "coupons/claim/", { coupon_id: rule.coupon_id });
        // A settlement lists the coupons held when it was made (API.md): say how to use this one.
        app.flash(`已领取:${record.name}`, "ok", "已在结算中心的课程,移回购物车再去结算即可使用新券");
        app.render();
      } catch (err) {
        app.error(err);
      }
    }),
  );
  const stock = rule.total_quantity === null ? "" : ` · 剩余 ${rule.remaining}/${rule.total_quantity}`;
  return h(
    "article",
    { class: `coupon-card${soldOut ? " unusable" : ""}`, "data-coupon": rule.name },
    h("div", { class: "coupon-value" }, couponTerms(rule)),
    h("div", { class: "coupon-body" }, h("strong", {}, rule.name), h("span", { class: "muted" }, `${rule.coupon_type} · ${validity} · 领取截止 ${rule.close_date}`),
      h("span", { class: "muted", "data-testid": "claim-stock" }, `已领 ${rule.held}/${rule.per_account_limit}${rule.object_id ? " · 指定课程" : " · 全场通用"}${stock}`)),
    claim,
  );
}
