// Pieces several screens share: a course's cover, a coupon's terms, status badges.

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
