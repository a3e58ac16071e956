// 登录: POST /api/login/, then back to where the user was going.

import { api, session } from "../api.js";
import { busy, h } from "../dom.js";

export async function loginView(app, route) {
  const next = route.query.get("next") || "#/courses";
  const username = h("input", { name: "username", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "登录");

  async function onsubmit(event) {
    event.preventDefault();
    await busy(submit, async () => {
      try {
        const data = await api("POST", "login/", { username: username.value, password: password.value });
        session.start(data.access_token, data.username);
        await Promise.all([app.refreshAccount(), app.refreshCart()]);
        app.pendingFlash = [`欢迎回来,${data.username}`, "ok"];
        location.hash = next;
      } catch (err) {
        app.error(err);
        password.select();
      }
    });
  }

  return h(
    "section",
    { class: "panel narrow" },
    h("h1", {}, "登录"),
    h(
      "form",
      { class: "form", onsubmit },
      h("label", {}, "用户名", username),
      h("label", {}, "密码", password),
      submit,
    ),
    document.body.dataset.demo === "1"
      ? h("p", { class: "hint" }, "演示账号 (make run 载入): alex / alex-demo-123,wusir / wusir-demo-123")
      : null,
  );
}
