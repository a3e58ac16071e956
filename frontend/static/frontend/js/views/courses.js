// 课程: the catalogue with its price policies; 加入购物车 puts a course with one policy in the cart.
// Each course links to its own page (course.js) with its brief and periods.

import { api, session } from "../api.js";
import { h } from "../dom.js";
import { courseCover, heading } from "./parts.js";

export const coursesScreen = {
  title: "课程",
  async load() {
    return { courses: await api("GET", "courses/"), policy: {} };
  },
  view(app, state) {
    if (!state.courses.length) return h("section", {}, heading("课程"), h("p", { class: "empty" }, "暂无上线课程。"));
    return h("section", {}, heading("课程"), h("div", { class: "grid" }, state.courses.map((c) => courseCard(app, state, c))));
  },
};

/** 加入购物车 for `course` with the policy `policyId`; a visitor is sent to log in first. */
export function addToCart(app, course, policyId, button, back) {
  if (!session.token) {
    app.navigate("login", [], { next: back }, ["请先登录再加入购物车", "error"]);
    return;
  }
  return app.act(
    async () => {
      await api("POST", "shopping_car/", { course_id: course.id, price_policy_id: Number(policyId) });
      await app.refreshCart();
    },
    { control: button, ok: [`已加入购物车:${course.name}`, "ok", "可在购物车里去结算"] },
  );
}

function courseCard(app, state, course) {
  const chosen = state.policy[course.id] ?? String(course.price_policy[0]?.id ?? "");
  return h(
    "article",
    { key: course.id, class: "card course", "data-course": course.name },
    courseCover(course.name, course.course_img),
    h(
      "div",
      { class: "card-body" },
      h("h2", {}, h("a", { href: `#/course/${course.id}` }, course.name)),
      h("p", { class: "brief" }, course.brief),
    ),
    h(
      "div",
      { class: "card-actions" },
      h(
        "label",
        { class: "inline" },
        "有效期 ",
        h(
          "select",
          {
            "aria-label": `${course.name} 有效期`,
            onchange: (event) => {
              state.policy[course.id] = event.target.value;
            },
          },
          course.price_policy.map((p) =>
            h("option", { value: p.id, selected: String(p.id) === chosen }, `${p.valid_period_display} · ¥${p.price}`),
          ),
        ),
      ),
      h(
        "button",
        {
          class: "primary",
          onclick: (event) => addToCart(app, course, state.policy[course.id] ?? chosen, event.currentTarget, "#/courses"),
        },
        "加入购物车",
      ),
    ),
  );
}
