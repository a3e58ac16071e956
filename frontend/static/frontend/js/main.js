// The app shell: hash routes, the navigation bar with the cart count and the 贝里 balance, the one
// status region where every outcome is said, and the one way screens are drawn and acted on.
//
// A screen is a module exporting {title, load(app, route) → state, view(app, state, route) → Node}.
// `load` reads the API once per visit; `view` is a pure drawing of `state`. Every change goes
// through the same two steps: change `state` (often with an answer of the API), then
// `app.update()`, which redraws the screen with `morph` (dom.js): kept elements keep the focus.
// `app.act(work, …)` is the one helper for "call the API, say the outcome in the status region,
// keep the focus".

import { api, ApiError, session } from "./api.js";
import { h, morph } from "./dom.js";
import { beiliScreen } from "./views/beili.js";
import { cartScreen } from "./views/cart.js";
import { couponsScreen } from "./views/coupons.js";
import { courseScreen } from "./views/course.js";
import { coursesScreen } from "./views/courses.js";
import { loginScreen } from "./views/login.js";
import { notFoundScreen } from "./views/notfound.js";
import { orderScreen } from "./views/order.js";
import { ordersScreen } from "./views/orders.js";
import { heading } from "./views/parts.js";
import { paymentScreen } from "./views/payment.js";
import { settlementScreen } from "./views/settlement.js";

const ROUTES = {
  login: { ...loginScreen, public: true },
  courses: { ...coursesScreen, public: true },
  course: { ...courseScreen, public: true },
  cart: cartScreen,
  settlement: settlementScreen,
  payment: paymentScreen,
  orders: ordersScreen,
  order: orderScreen,
  coupons: couponsScreen,
  beili: beiliScreen,
  "not-found": { ...notFoundScreen, public: true },
};
const NAV = ["courses", "cart", "settlement", "orders", "coupons", "beili"];
const NAV_TITLE = { beili: "贝里明细" };

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

/** `#/payment/O123?x=1` → {name: "payment", params: ["O123"], query: URLSearchParams};
 * an empty hash is the catalogue, an unknown one the not-found screen. */
function parseHash() {
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", ...params] = path.split("/").filter(Boolean).map(decode);
  const known = name === "" ? "courses" : Object.hasOwn(ROUTES, name) ? name : "not-found";
  return { name: known, asked: name, params, query: new URLSearchParams(search) };
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

  /** Say something in the status region (role=status, aria-live): it stays in view under the
   * sticky bar, and a screen reader reads it out. */
  flash(message, kind = "ok", detail = null) {
    root.flash.replaceChildren(
      h(
        "div",
        { class: `flash-message ${kind}`, "data-testid": `flash-${kind}` },
        h("strong", {}, message),
        detail ? h("span", { class: "detail" }, detail) : null,
        h("button", { class: "close", "aria-label": "关闭提示", onclick: closeFlash }, "×"),
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

  /**
   * The one action helper: run `work` (the API calls of one user action) with `control` busy (a
   * double click sends one request), then say the outcome in the status region: `ok` (a message,
   * [message, kind, detail], or a function of the result giving one) or the failure in words,
   * after which `failed(err)` may catch the screen up. The focus stays where the user had it.
   * Resolves with the work's result, or undefined when it failed.
   */
  async act(work, { control = null, ok = null, failed = null } = {}) {
    const focused = document.activeElement;
    if (control) {
      control.disabled = true;
      control.setAttribute("aria-busy", "true");
    }
    try {
      const result = await work();
      const message = typeof ok === "function" ? ok(result) : ok;
      if (message) app.flash(...[message].flat());
      return result;
    } catch (err) {
      app.error(err);
      if (failed) await failed(err);
      return undefined;
    } finally {
      if (control) {
        control.disabled = false;
        control.removeAttribute("aria-busy");
      }
      const now = document.activeElement;
      if (focused && focused.isConnected && focused !== now && (!now || now === document.body)) focused.focus();
    }
  },

  /** Redraw the current screen from its state (after the state changed). */
  update() {
    if (current) draw();
  },

  /** Whether `state` is the state of the screen shown (a watcher stops once the buyer left). */
  isShowing(state) {
    return current !== null && current.state === state;
  },

  /** Read the current screen's data again and redraw it. */
  render: () => render(),

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
  const here = parseHash().name;
  const active = here === "course" ? "courses" : here === "order" ? "orders" : here;
  morph(
    root.nav,
    NAV.map((name) =>
      h(
        "a",
        { key: name, href: `#/${name}`, class: name === active ? "active" : null, "aria-current": name === active ? "page" : null },
        NAV_TITLE[name] || ROUTES[name].title,
        name === "cart" && app.cartCount ? h("span", { class: "badge", "data-testid": "cart-count" }, app.cartCount) : null,
      ),
    ),
  );
  if (app.account) {
    morph(root.account, [
      h("span", { class: "username" }, app.account.username),
      h(
        "a",
        { class: "beili", href: "#/beili", title: `${app.account.beili_per_yuan} 贝里 = ¥1`, "aria-label": `贝里余额 ${app.account.balance},查看明细` },
        "贝里 ",
        h("strong", { "data-testid": "beili-balance" }, app.account.balance),
      ),
      h("button", { class: "link", onclick: () => app.logout() }, "退出"),
    ]);
  } else {
    morph(root.account, [h("a", { href: "#/login", class: "button small" }, "登录")]);
  }
}

let rendering = 0;
let current = null; // {hash, spec, route, state}: the screen shown

function draw() {
  morph(root.view, [current.spec.view(app, current.state, current.route)]);
}

/** The new screen's own element to start from: its [autofocus] field, else its heading. */
function focusScreen() {
  const target = root.view.querySelector("[autofocus]") || root.view.querySelector("h1");
  if (target && document.activeElement !== target) target.focus({ preventScroll: target.tagName === "H1" });
}

async function render() {
  const route = parseHash();
  const spec = ROUTES[route.name];
  if (!spec.public && !session.token) {
    app.navigate("login", [], { next: location.hash || "#/courses" });
    return;
  }
  const ticket = ++rendering;
  const hash = location.hash;
  const changed = !current || current.hash !== hash;
  document.title = `${spec.title} · 路飞学城结算中心`;
  renderChrome();
  root.view.setAttribute("aria-busy", "true");
  if (changed) {
    // A new screen: its heading at once, and a loading line where its content will be.
    current = null;
    morph(root.view, [
      h("section", {}, heading(spec.title), h("p", { class: "loading", "data-testid": "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), "加载中…")),
    ]);
    window.scrollTo(0, 0);
    focusScreen();
  }
  let state;
  try {
    state = await spec.load(app, route);
  } catch (err) {
    if (ticket !== rendering) return; // the user has moved on: this screen's failure is moot
    if (err instanceof ApiError && err.code === 1001) {
      app.navigate("login", [], { next: location.hash }, [err.message, "error"]);
      return;
    }
    app.error(err);
    current = { hash, spec: failedScreen(spec.title), route, state: null };
    draw();
    root.view.setAttribute("aria-busy", "false");
    return;
  }
  if (ticket !== rendering) return; // a newer navigation won
  current = { hash, spec, route, state };
  draw();
  root.view.setAttribute("aria-busy", "false");
  root.view.dataset.screen = route.name;
  if (changed) focusScreen();
}

function failedScreen(title) {
  return {
    view: () =>
      h(
        "section",
        {},
        heading(title),
        h("p", { class: "empty" }, "加载失败。", h("a", { href: location.hash, onclick: (event) => (event.preventDefault(), render()) }, "重试")),
      ),
  };
}

/** Close the message; the focus, when it was on the close button, goes back to the screen. */
function closeFlash() {
  const hadFocus = root.flash.contains(document.activeElement);
  root.flash.replaceChildren();
  if (hadFocus) (root.view.querySelector("h1") || root.view).focus();
}

function showPendingFlash() {
  root.flash.replaceChildren();
  if (app.pendingFlash) app.flash(...app.pendingFlash);
  app.pendingFlash = null;
}

// The sticky bar (with a message under it) is as tall as it is: the page scrolls a focused element
// (the keyboard going up a long screen) out from under it, not behind it.
const chrome = document.querySelector(".chrome");
new ResizeObserver(() => {
  document.documentElement.style.setProperty("--chrome-height", `${chrome.offsetHeight}px`);
}).observe(chrome);

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
