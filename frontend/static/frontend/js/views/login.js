// 登录: POST /api/login/, then back to where the user was going.

import { api, session } from "../api.js";
import { h } from "../dom.js";
import { heading } from "./parts.js";

export const loginScreen = {
  title: "登录",
  async load(app, route) {
    return { next: route.query.get("next") || "#/courses" };
  },
  view(app, state) {
    async function onsubmit(event) {
      event.preventDefault();
      const form = event.currentTarget;
      const { username, password } = form.elements;
      await app.act(
        async () => {
          const data = await api("POST", "login/", { username: username.value, password: password.value });
          session.start(data.access_token, data.username);
          await Promise.all([app.refreshAccount(), app.refreshCart()]);
          app.pendingFlash = [`欢迎回来,${data.username}`, "ok"];
          location.hash = state.next;
        },
        { control: form.querySelector("button[type=submit]"), failed: () => password.select() },
      );
    }
    return h(
      "section",
      { class: "panel narrow" },
      heading("登录"),
      h(
        "form",
        { class: "form", onsubmit },
        h("label", {}, "用户名", h("input", { name: "username", autocomplete: "username", required: true, autofocus: true })),
        h("label", {}, "密码", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
        h("button", { type: "submit", class: "primary" }, "登录"),
      ),
      document.body.dataset.demo === "1"
        ? h("p", { class: "hint" }, "演示账号 (make run 载入): alex / alex-demo-123,wusir / wusir-demo-123")
        : null,
    );
  },
};
