// Pieces several screens share: a heading, a pager, a course's cover, a coupon's terms, badges.

import { h } from "../dom.js";

/** The course image, or a coloured block with the course's first letter when it has none. */
export function courseCover(title, src) {
  const hue = [...title].reduce((sum, ch) => sum + ch.codePointAt(0), 0) % 360;
  const fallback = h("div", { class: "cover fallback", style: `--hue:${hue}`, "aria-hidden": "true" }, [...title][0]);
  if (!src) return fallback;
  const img = h("img", { class: "cover", src, alt: "", loading: "lazy" });
  img.addEventListener("error", () => img.replaceWith(fallback), { once: true });
  return img;
}

/** "200.00" → "200", "39.90" → "39.9": amounts inside a coupon's short terms. */
function short(amount) {
  const text = String(amount);
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** 立减20元 / 满100减30 / 8折 (off_percent 79 is 7.9折). Only a 满减券's minimum is a condition
 * (pay/pricing.py), so only it names one. */
export function couponTerms(coupon) {
  if (coupon.coupon_type_id === 2) return `${coupon.off_percent / 10}折`;
  if (coupon.coupon_type_id === 1) return `满${short(coupon.minimum_consume)}减${short(coupon.money_equivalent_value)}`;
  return `立减${short(coupon.money_equivalent_value)}元`;
}

export function badge(text, kind) {
  return h("span", { class: `badge-status ${kind}` }, text);
}

/** A screen's heading: where the focus goes when the screen changes (tabindex -1: not a tab stop). */
export function heading(text) {
  return h("h1", { key: "heading", tabindex: "-1" }, text);
}

/** 上一页 · 第 n 页 · 下一页 for a paginated answer {count, next, previous}. */
export function pager({ page, pageNumber, href, noun, testid }) {
  if (!page.previous && !page.next) return null;
  const link = (n, label) => h("a", { class: "button small", href: href(n) }, label);
  return h(
    "nav",
    { class: "pager", "aria-label": "分页", "data-testid": testid },
    page.previous ? link(pageNumber - 1, "上一页") : null,
    h("span", { class: "muted" }, `第 ${pageNumber} 页 · 共 ${page.count} ${noun}`),
    page.next ? link(pageNumber + 1, "下一页") : null,
  );
}

/** The page number asked for in `?page=` (1 when missing or not a number). */
export function pageNumberOf(route) {
  return Math.max(1, Number.parseInt(route.query.get("page"), 10) || 1);
}

/** An ISO time as the buyer reads it. */
export function time(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "";
}
