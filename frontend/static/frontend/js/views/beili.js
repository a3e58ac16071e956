// 贝里明细: the buyer's 贝里 history, newest first (GET /api/account/transactions/, in pages of 20):
// each change with its sign, the balance after it, and the order it belongs to.

import { api } from "../api.js";
import { h } from "../dom.js";
import { heading, pageNumberOf, pager, time } from "./parts.js";

export const beiliScreen = {
  title: "贝里明细",
  async load(app, route) {
    const pageNumber = pageNumberOf(route);
    const [page] = await Promise.all([api("GET", `account/transactions/?page=${pageNumber}`), app.refreshAccount()]);
    return { page, pageNumber };
  },
  view(app, state) {
    const rows = state.page.results;
    const account = app.account;
    return h(
      "section",
      {},
      heading("贝里明细"),
      account
        ? h("p", { class: "lead" }, "当前余额 ", h("strong", { "data-testid": "beili-now" }, account.balance), ` 贝里(${account.beili_per_yuan} 贝里 = ¥1)`)
        : null,
      rows.length
        ? h(
            "ol",
            { class: "ledger panel", "data-testid": "ledger" },
            rows.map((row) =>
              h(
                "li",
                { key: row.transaction_number, "data-testid": "ledger-row" },
                h(
                  "div",
                  { class: "grow" },
                  h("strong", {}, row.transaction_type_display),
                  h("span", { class: "muted" }, ` · ${time(row.date)}`),
                  memoAndOrder(row),
                ),
                h("span", { class: `change ${row.change < 0 ? "out" : "in"}`, "data-testid": "ledger-change" }, row.change > 0 ? `+${row.change}` : String(row.change)),
                h("span", { class: "muted balance-after" }, `余额 ${row.balance}`),
              ),
            ),
          )
        : h("p", { class: "empty" }, "还没有贝里变动。"),
      pager({ page: state.page, pageNumber: state.pageNumber, href: (n) => `#/beili?page=${n}`, noun: "条记录", testid: "ledger-pager" }),
    );
  },
};

/** The row's memo and a link to its order, the order named once: the shop's memos already say
 * "订单 <number> …", so that part of the memo becomes the link. */
function memoAndOrder(row) {
  const memo = row.memo || "";
  if (!row.order_number) return memo ? h("div", { class: "muted" }, memo) : null;
  const name = `订单 ${row.order_number}`;
  const link = h("a", { href: `#/order/${encodeURIComponent(row.order_number)}` }, name);
  const at = memo.indexOf(name);
  if (at === -1) return [memo ? h("div", { class: "muted" }, memo) : null, h("div", {}, link)];
  return h("div", { class: "muted" }, memo.slice(0, at), link, memo.slice(at + name.length));
}
