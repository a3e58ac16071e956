// 购物车: change a course's policy, remove it, select courses, 去结算 (POST /api/settlement/).

import { api } from "../api.js";
import { h } from "../dom.js";
import { fromCents, toCents } from "../money.js";
import { courseCover, heading } from "./parts.js";

export const cartScreen = {
  title: "购物车",
  async load(app) {
    const { cart } = await api("GET", "shopping_car/");
    app.setCartCount(cart.length);
    return { cart, unselected: new Set() };
  },
  view(app, state) {
    const { cart } = state;
    if (!cart.length) {
      return h(
        "section",
        {},
        heading("购物车"),
        h("p", { class: "empty" }, "购物车是空的。", h("a", { href: "#/courses" }, "去选课"), " · ", h("a", { href: "#/settlement" }, "查看结算中心")),
      );
    }
    const chosen = cart.filter((item) => !state.unselected.has(item.id));
    const total = chosen.reduce((sum, item) => sum + toCents(item.price), 0);
    const all = chosen.length === cart.length;
    return h(
      "section",
      {},
      heading("购物车"),
      h(
        "div",
        { class: "list" },
        h(
          "div",
          { class: "list-head" },
          h(
            "label",
            { class: "inline" },
            h("input", {
              type: "checkbox",
              checked: all,
              "aria-label": "全选",
              "data-testid": "select-all",
              onchange: (event) => {
                state.unselected = event.target.checked ? new Set() : new Set(cart.map((item) => item.id));
                app.update();
              },
            }),
            " 全选",
          ),
        ),
        cart.map((item) => cartLine(app, state, item)),
      ),
      h(
        "div",
        { class: "summary" },
        h("span", {}, "已选 ", h("span", { "data-testid": "selected-count" }, chosen.length), " 门课程,合计 ", h("strong", { "data-testid": "cart-total" }, `¥${fromCents(total)}`)),
        h("button", { class: "primary", disabled: chosen.length === 0, onclick: (event) => settle(app, state, chosen, event.currentTarget) }, "去结算"),
      ),
    );
  },
};

function settle(app, state, chosen, button) {
  return app.act(
    async () => {
      await api("POST", "settlement/", { course_list: chosen.map((item) => item.id) });
      await app.refreshCart();
      app.navigate("settlement");
    },
    { control: button, failed: (err) => (err.code === 1022 || err.code === 1023 ? app.render() : null) },
  );
}

function cartLine(app, state, item) {
  const select = (event) => {
    if (event.target.checked) state.unselected.delete(item.id);
    else state.unselected.add(item.id);
    app.update();
  };
  const changePolicy = (event) => {
    const control = event.currentTarget;
    const wanted = Number(control.value);
    return app.act(
      async () => {
        const updated = await api("PUT", "shopping_car/", { course_id: item.id, price_policy_id: wanted });
        item.price = updated.price;
        item.default_policy = wanted;
      },
      { control, failed: () => null },
    ).finally(() => app.update()); // the price, or the policy as it was
  };
  const remove = (event) =>
    app.act(
      async () => {
        await api("DELETE", "shopping_car/", { course_id: item.id });
        const at = state.cart.indexOf(item);
        state.cart.splice(at, 1);
        state.unselected.delete(item.id);
        app.update();
        await app.refreshCart();
        // The focus goes to the next course's 删除 (or the previous one's, or the heading).
        const lines = document.querySelectorAll(".line[data-course] .remove");
        (lines[Math.min(at, lines.length - 1)] || document.querySelector("h1")).focus();
      },
      { control: event.currentTarget, ok: `已从购物车删除:${item.title}` },
    );
  return h(
    "div",
    { key: item.id, class: "line", "data-course": item.title },
    h("input", { type: "checkbox", checked: !state.unselected.has(item.id), "aria-label": `选择 ${item.title}`, onchange: select }),
    courseCover(item.title, item.img_src),
    h("div", { class: "grow" }, h("h2", {}, item.title)),
    h(
      "label",
      { class: "inline" },
      "有效期 ",
      h(
        "select",
        { "aria-label": `${item.title} 有效期`, onchange: changePolicy },
        Object.entries(item.price_policy_dict).map(([id, p]) =>
          h("option", { value: id, selected: Number(id) === item.default_policy }, `${p.valid_period_text} · ¥${p.price}`),
        ),
      ),
    ),
    h("span", { class: "price" }, `¥${item.price}`),
    h("button", { class: "link danger remove", onclick: remove }, "删除"),
  );
}
