// 课程: the catalogue with its price policies; 加入购物车 puts a course with one policy in the cart.

import { api, session } from "../api.js";
import { busy, h } from "../dom.js";
import { courseCover } from "./parts.js";

export async function coursesView(app) {
  const courses = await api("GET", "courses/");
  if (!courses.length) return h("section", {}, h("h1", {}, "课程"), h("p", { class: "empty" }, "暂无上线课程。"));
  return h("section", {}, h("h1", {}, "课程"), h("div", { class: "grid" }, courses.map((c) => courseCard(app, c))));
}

function courseCard(app, course) {
  const policy = h(
    "select",
    { "aria-label": `${course.name} 有效期` },
    course.price_policy.map((p) => h("option", { value: p.id }, `${p.valid_period_display} · ¥${p.price}`)),
  );
  const add = h("button", { class: "primary" }, "加入购物车");
  add.addEventListener("click", () =>
    busy(add, async () => {
      if (!session.token) {
        app.navigate("login", [], { next: "#/courses" }, ["请先登录再加入购物车", "error"]);
        return;
      }
      try {
        await api("POST", "shopping_car/", { course_id: course.id, price_policy_id: Number(policy.value) });
        app.flash(`已加入购物车:${course.name}`, "ok");
        await app.refreshCart();
      } catch (err) {
        app.error(err);
      }
    }),
  );
  return h(
    "article",
    { class: "card course", "data-course": course.name },
    courseCover(course.name, course.course_img),
    h("div", { class: "card-body" }, h("h2", {}, course.name), h("p", { class: "brief" }, course.brief)),
    h("div", { class: "card-actions" }, h("label", { class: "inline" }, "有效期 ", policy), add),
  );
}
