// 课程详情 (#/course/<id>): the course's brief and every period with its price; 加入购物车 from here.

import { api } from "../api.js";
import { h } from "../dom.js";
import { addToCart } from "./courses.js";
import { courseCover, heading } from "./parts.js";

export const courseScreen = {
  title: "课程详情",
  async load(app, route) {
    const course = await api("GET", `courses/${encodeURIComponent(route.params[0] ?? "")}/`);
    return { course, policy: String(course.price_policy[0]?.id ?? "") };
  },
  view(app, state) {
    const { course } = state;
    const name = `period-${course.id}`;
    return h(
      "section",
      { class: "course-page", "data-course": course.name },
      h("p", { class: "crumbs" }, h("a", { href: "#/courses" }, "课程"), " / ", course.name),
      heading(course.name),
      h(
        "div",
        { class: "course-page-grid" },
        courseCover(course.name, course.course_img),
        h(
          "div",
          { class: "panel" },
          h("h2", {}, "课程简介"),
          h("p", { class: "brief", "data-testid": "course-brief" }, course.brief || "暂无简介。"),
          h(
            "fieldset",
            { class: "periods", "data-testid": "periods" },
            h("legend", {}, "选择有效期"),
            course.price_policy.map((p) =>
              h(
                "label",
                { key: p.id, class: "period-option" },
                h("input", {
                  type: "radio",
                  name,
                  value: p.id,
                  checked: String(p.id) === state.policy,
                  onchange: () => {
                    state.policy = String(p.id);
                    app.update();
                  },
                }),
                h("span", { class: "grow" }, p.valid_period_display),
                h("strong", { class: "price" }, `¥${p.price}`),
              ),
            ),
          ),
          course.price_policy.length
            ? h(
                "button",
                { class: "primary big", onclick: (event) => addToCart(app, course, state.policy, event.currentTarget, `#/course/${course.id}`) },
                "加入购物车",
              )
            : h("p", { class: "muted" }, "这门课程暂无可购买的有效期。"),
          h("p", {}, h("a", { href: "#/cart" }, "查看购物车")),
        ),
      ),
    );
  },
};
