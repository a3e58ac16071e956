// An address the shop does not have: said so, with the way back (never the catalogue silently).

import { h } from "../dom.js";
import { heading } from "./parts.js";

export const notFoundScreen = {
  title: "页面不存在",
  async load(app, route) {
    return { asked: route.asked };
  },
  view(app, state) {
    return h(
      "section",
      { "data-testid": "not-found" },
      heading("页面不存在"),
      h("p", { class: "empty" }, `没有「${state.asked}」这个页面。`, h("a", { href: "#/courses" }, "去看看课程"), " · ", h("a", { href: "#/orders" }, "我的订单")),
    );
  },
};
