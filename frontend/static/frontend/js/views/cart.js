// 购物车: change a course's policy, remove it, select courses, 去结算 (POST /api/settlement/).

import { api } from "../api.js";
import { busy, h } from "../dom.js";
import { fromCents, toCents } from "../money.js";
import { courseCover } from "./parts.js";

export async function cartView(app) {
  const { cart } = await api("GET", "shopping_car/");
  app.setCartCount(cart.length);
  const section = h("section", {}, h("h1", {}, "购物车"));
  if (!cart.length) {
    section.append(
      h("p", { class: "empty" }, "购物车是空的。", h("a", { href: "#/courses" }, "去选课"), " · ", h("a", { href: "#/settlement" }, "查看结算中心")),
    );
    return section;
  }

  const lines = cart.map((item) => cartLine(app, item, updateSummary));
  const count = h("span", { "data-testid": "selected-count" });
  const total = h("strong", { "data-testid": "cart-total" });
  const settle = h("button", { class: "primary" }, "去结算");

  function selected() {
    return lines.filter((line) => line.checkbox.checked);
  }
  function updateSummary() {
    const chosen = selected();
    count.textContent = String(chosen.length);
    total.textContent = `¥${fromCents(chosen.reduce((sum, line) => sum + toCents(line.price()), 0))}`;
    settle.disabled = chosen.length === 0;
  }

  settle.addEventListener("click", () =>
    busy(settle, async () => {
      try {
        await api("POST", "settlement/", { course_list: selected().map((line) => line.courseId) });
        await app.refreshCart();
        app.navigate("settlement");
      } catch (err) {
        app.error(err);
        if (err.code === 1022 || err.code === 1023) app.render();
      }
    }),
  );

  const selectAll = h("input", { type: "checkbox", checked: true, "aria-label": "全选" });
  selectAll.addEventListener("change", () => {
    for (const line of lines) line.checkbox.checked = selectAll.checked;
    updateSummary();
  });

  section.append(
    h("div", { class: "list" }, h("div", { class: "list-head" }, h("label", { class: "inline" }, selectAll, " 全选")), lines.map((line) => line.node)),
    h("div", { class: "summary" }, h("span", {}, "已选 ", count, " 门课程,合计 ", total), settle),
  );
  updateSummary();
  return section;
}

function cartLine(app, item, onchange) {
  let price = item.price;
  let policyId = item.default_policy;
  const checkbox = h("input", { type: "checkbox", checked: true, "aria-label": `选择 ${item.title}` });
  checkbox.addEventListener("change", onchange);
  const priceCell = h("span", { class: "price" }, `¥${price}`);
  const policy = h(
    "select",
    { "aria-label": `${item.title} 有效期` },
    Object.entries(item.price_policy_dict).map(([id, p]) =>
      h("option", { value: id, selected: Number(id) === item.default_policy }, `${p.valid_period_text} · ¥${p.price}`),
    ),
  );
  policy.addEventListener("change", async () => {
    policy.disabled = true;
    try {
      const updated = await api("PUT", "shopping_car/", { course_id: item.id, price_policy_id: Number(policy.value) });
      price = updated.price;
      policyId = Number(policy.value);
      priceCell.textContent = `¥${price}`;
      onchange();
    } catch (err) {
      app.error(err);
      policy.value = String(policyId);
    } finally {
      policy.disabled = false;
    }
  });
  const remove = h("button", { class: "link danger" }, "删除");
  const node = h(
    "div",
    { class: "line", "data-course": item.title },
    checkbox,
    courseCover(item.title, item.img_src),
    h("div", { class: "grow" }, h("h3", {}, item.title)),
    h("label", { class: "inline" }, "有效期 ", policy),
    priceCell,
    remove,
  );
  remove.addEventListener("click", () =>
    busy(remove, async () => {
      try {
        await api("DELETE", "shopping_car/", { course_id: item.id });
        app.flash(`已从购物车删除:${item.title}`, "ok");
        await app.refreshCart();
        app.render();
      } catch (err) {
        app.error(err);
      }
    }),
  );
  return { node, checkbox, courseId: item.id, price: () => price };
}
