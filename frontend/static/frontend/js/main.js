// The app shell: hash routes, the navigation bar with the cart count and the 贝里 balance, and
// the flash line where every success and every registry error is shown.

import { api, ApiError, session } from "./api.js";
import { h } from "./dom.js";
import { cartView } from "./views/cart.js";
import { couponsView } from "./views/coupons.js";
import { coursesView } from "./views/courses.js";
import { loginView } from "./views/login.js";
import { ordersView } from "./views/orders.js";
import { paymentView } from "./views/payment.js";
import { settlementView } from "./views/settlement.js";

const ROUTES = {
  login: { view: loginView, title: "登录", public: true },
  courses: { view: coursesView, title: "课程", public: true },
  cart: { view: cartView, title: "购物车" },
  settlement: { view: settlementView, title: "结算中心" },
  payment: { view: paymentView, title: "支付" },
  orders: { view: ordersView, title: "我的订单" },
  coupons: { view: couponsView, title: "我的优惠券" },
};
const NAV = ["courses", "cart", "settlement", "orders", "coupons"];

const root = {
  view: document.getElementById("view"),
  nav: document.getElementById("nav"),
  account: document.getElementById("account"),
  flash: document.getElementById("flash"),
};

/** A URL part as text; a malformed escape (a hand-typed `%E0`) stays as typed instead of throwing. */
function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** `#/payment/O123?x=1` → {name: "payment", params: ["O123"], query: URLSearchParams} */
function parseHash() {
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", ...params] = path.split("/").filter(Boolean).map(decode);
  return { name: ROUTES[name] ? name : "courses", params, query: new URLSearchParams(search) };
}

const app = {
  account: null, // {username, balance, beili_per_yuan} once logged in
  cartCount: null,
  pendingFlash: null, // shown on the next screen

  /** Go to a screen; `flash` = [message, kind] is shown there (a new screen clears the old one). */
  navigate(name, params = [], query = {}, flash = null) {
    const search = new URLSearchParams(query).toString();
    const path = [name, ...params.map(encodeURIComponent)].join("/");
    const hash = `#/${path}${search ? `?${search}` : ""}`;
    app.pendingFlash = flash;
    if (location.hash === hash) {
      showPendingFlash();
      render();
    } else {
      location.hash = hash;
    }
  },

  flash(message, kind = "ok", detail = null) {
    root.flash.replaceChildren(
      h(
        "div",
        { class: `flash-message ${kind}`, "data-testid": `flash-${kind}` },
        h("strong", {}, message),
        detail ? h("span", { class: "detail" }, detail) : null,
        h("button", { class: "close", "aria-label": "关闭", onclick: () => root.flash.replaceChildren() }, "×"),
      ),
    );
  },

  /** Show an ApiError (or any failure) in words, with its code for support. */
  error(err) {
    app.flash(...app.describe(err));
  },

  /** [message, "error", detail] for app.flash or a navigate's flash. */
  describe(err) {
    if (err instanceof ApiError) return [`${err.message}${err.code ? ` (${err.code})` : ""}`, "error", err.detail];
    console.error(err);
    return ["页面出错了,请刷新后重试", "error", String(err)];
  },

  setAccount(account) {
    app.account = account;
    renderChrome();
  },

  setCartCount(count) {
    app.cartCount = count;
    renderChrome();
  },

  /** Re-read the header's 贝里 balance; a failure keeps the last one (the screen says why). */
  async refreshAccount() {
    if (!session.token) return app.setAccount(null);
    try {
      app.setAccount(await api("GET", "account/"));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  },

  async refreshCart() {
    if (!session.token) return;
    try {
      app.setCartCount((await api("GET", "shopping_car/")).total_count);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  },

  async logout() {
    try {
      await api("POST", "logout/");
    } catch {
      // The token may already be gone; the page forgets it either way.
    }
    session.end();
    app.account = null;
    app.cartCount = null;
    app.navigate("login");
  },
};

function renderChrome() {
  const current = parseHash().name;
  root.nav.replaceChildren(
    ...NAV.map((name) =>
      h(
        "a",
        { href: `#/${name}`, class: name === current ? "active" : null, "aria-current": name === current ? "page" : null },
        ROUTES[name].title,
        name === "cart" && app.cartCount ? h("span", { class: "badge", "data-testid": "cart-count" }, app.cartCount) : null,
      ),
    ),
  );
  if (app.account) {
    root.account.replaceChildren(
      h("span", { class: "username" }, app.account.username),
      h("span", { class: "beili", title: `${app.account.beili_per_yuan} 贝里 = ¥1` }, "贝里 ",
        h("strong", { "data-testid": "beili-balance" }, app.account.balance)),
      h("button", { class: "link", onclick: () => app.logout() }, "退出"),
    );
  } else {
    root.account.replaceChildren(h("a", { href: "#/login", class: "button small" }, "登录"));
  }
}

let rendering = 0;

async function render() {
  const route = parseHash();
  const spec = ROUTES[route.name];
  if (!spec.public && !session.token) {
    app.navigate("login", [], { next: location.hash || "#/courses" });
    return;
  }
  const ticket = ++rendering;
  document.title = `${spec.title} · 路飞学城结算中心`;
  renderChrome();
  root.view.setAttribute("aria-busy", "true");
  let node;
  try {
    node = await spec.view(app, route);
  } catch (err) {
    if (ticket !== rendering) return; // the user has moved on: this screen's failure is moot
    if (err instanceof ApiError && err.code === 1001) {
      app.navigate("login", [], { next: location.hash }, [err.message, "error"]);
      return;
    }
    app.error(err);
    node = h("p", { class: "empty" }, "加载失败。", h("a", { href: location.hash, onclick: () => render() }, "重试"));
  }
  if (ticket !== rendering) return; // a newer navigation won
  root.view.replaceChildren(node);
  root.view.setAttribute("aria-busy", "false");
  root.view.dataset.screen = route.name;
}

app.render = render;

function showPendingFlash() {
  root.flash.replaceChildren();
  if (app.pendingFlash) app.flash(...app.pendingFlash);
  app.pendingFlash = null;
}

window.addEventListener("hashchange", () => {
  showPendingFlash();
  render();
});
window.addEventListener("session-ended", () => {
  app.account = null;
  app.cartCount = null;
  renderChrome();
});

await Promise.all([app.refreshAccount(), app.refreshCart()]);
render();
