// 我的优惠券: the wallet (filter by status), a code box (a rule's public code, or a one-time
// 兑换码), and the coupons claimable today (领取; 已领完 when a limited rule has none left).

import { api } from "../api.js";
import { h } from "../dom.js";
import { badge, couponTerms, heading } from "./parts.js";

const TABS = [
  ["", "全部"],
  ["0", "未使用"],
  ["1", "已使用"],
  ["2", "已过期"],
];
const STATUS = { 0: ["未使用", "ok"], 1: ["已使用", "muted"], 2: ["已过期", "muted"] };
// A claimed coupon joins an open settlement at once (API.md): say where to find it.
const JOINED = "已在结算中心的,可直接在结算中心选用";

export const couponsScreen = {
  title: "我的优惠券",
  async load(app, route) {
    const status = route.query.get("status") || "";
    const [wallet, claimable] = await Promise.all([
      api("GET", status ? `coupons/?status=${encodeURIComponent(status)}` : "coupons/"),
      api("GET", "coupons/available/"),
    ]);
    return { status, wallet, claimable };
  },
  view(app, state) {
    return h(
      "section",
      {},
      heading("我的优惠券"),
      h(
        "nav",
        { class: "tabs", "aria-label": "按状态筛选" },
        TABS.map(([value, label]) =>
          h(
            "a",
            { href: value ? `#/coupons?status=${value}` : "#/coupons", class: value === state.status ? "active" : null, "aria-current": value === state.status ? "page" : null },
            label,
          ),
        ),
      ),
      codeForms(app, state),
      state.wallet.length
        ? h("div", { class: "coupon-grid", "data-testid": "wallet" }, state.wallet.map(walletCoupon))
        : h("p", { class: "empty" }, "这里没有优惠券。"),
      h("h2", {}, "可领取的优惠券"),
      state.claimable.length
        ? h("div", { class: "coupon-grid" }, state.claimable.map((rule) => claimableCoupon(app, state, rule)))
        : h("p", { class: "empty" }, "今天没有可领取的优惠券。"),
    );
  },
};

/** Read the wallet and the claimable rules again, keeping the screen (and the focus) as it is. */
async function refresh(app, state) {
  Object.assign(state, await couponsScreen.load(app, { query: new URLSearchParams(state.status ? { status: state.status } : {}) }));
  app.update();
}

function walletCoupon(coupon) {
  const [label, kind] = STATUS[coupon.status];
  return h(
    "article",
    { key: coupon.id, class: `coupon-card${coupon.status === 0 ? "" : " unusable"}`, "data-coupon": coupon.name },
    h("div", { class: "coupon-value" }, couponTerms(coupon)),
    h(
      "div",
      { class: "coupon-body" },
      h("strong", {}, coupon.name),
      h("span", { class: "muted" }, `${coupon.coupon_type} · 有效期至 ${coupon.valid_end}`),
      coupon.status === 0 && !coupon.usable ? h("span", { class: "reason" }, coupon.reason) : null,
    ),
    h("span", { "data-testid": "coupon-status" }, badge(label, kind)),
  );
}

// One box per kind of code: a rule's public code (POST coupons/claim/ {code}) and a one-time
// 兑换码 (POST coupons/redeem/ {code}). Both answer the new record.
function codeForms(app, state) {
  const form = (label, placeholder, action, path, testid) => {
    async function onsubmit(event) {
      event.preventDefault();
      const input = event.currentTarget.elements[testid];
      const record = await app.act(() => api("POST", path, { code: input.value.trim() }), {
        control: event.currentTarget.querySelector("button"),
        ok: (r) => [`已领取:${r.name}`, "ok", JOINED],
        failed: () => input.select(),
      });
      if (record) {
        input.value = "";
        await refresh(app, state);
      }
    }
    return h(
      "form",
      { key: testid, class: "code-form", onsubmit, "data-testid": testid },
      h("label", {}, label, h("input", { name: testid, placeholder, autocomplete: "off", spellcheck: "false", required: true, maxlength: 64 })),
      h("button", { type: "submit", class: "small primary" }, action),
    );
  };
  return h(
    "div",
    { class: "code-forms" },
    form("优惠码", "如 PYTHON2026", "领取", "coupons/claim/", "claim-code"),
    form("兑换码", "XXXX-XXXX-XXXX-XXXX", "兑换", "coupons/redeem/", "redeem-code"),
  );
}

function claimableCoupon(app, state, rule) {
  const validity = rule.coupon_valid_days ? `领取后 ${rule.coupon_valid_days} 天内有效` : `${rule.valid_begin_date} 至 ${rule.valid_end_date}`;
  const full = rule.held >= rule.per_account_limit;
  const soldOut = !full && rule.remaining === 0;
  const stock = rule.total_quantity === null ? "" : ` · 剩余 ${rule.remaining}/${rule.total_quantity}`;
  const claim = async (event) => {
    const record = await app.act(() => api("POST", "coupons/claim/", { coupon_id: rule.coupon_id }), {
      control: event.currentTarget,
      ok: (r) => [`已领取:${r.name}`, "ok", JOINED],
    });
    if (record) await refresh(app, state);
  };
  return h(
    "article",
    { key: rule.coupon_id, class: `coupon-card${soldOut ? " unusable" : ""}`, "data-coupon": rule.name },
    h("div", { class: "coupon-value" }, couponTerms(rule)),
    h(
      "div",
      { class: "coupon-body" },
      h("strong", {}, rule.name),
      h("span", { class: "muted" }, `${rule.coupon_type} · ${validity} · 领取截止 ${rule.close_date}`),
      h("span", { class: "muted", "data-testid": "claim-stock" }, `已领 ${rule.held}/${rule.per_account_limit}${rule.object_id ? " · 指定课程" : " · 全场通用"}${stock}`),
    ),
    // A button that cannot be pressed any more keeps the focus (aria-disabled, not disabled).
    h(
      "button",
      { class: "small primary", "aria-disabled": full || soldOut ? "true" : null, onclick: full || soldOut ? null : claim },
      full ? "已领取" : soldOut ? "已领完" : "领取",
    ),
  );
}
