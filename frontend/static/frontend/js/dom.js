// A tiny DOM builder and the one way screens are drawn.
//
// h("button", {onclick, class: "primary", key: "pay"}, "去结算") builds an element. Text is always
// inserted as text, never parsed as HTML, so server data cannot inject markup. Handlers are kept
// as `on…` properties (not listeners), so that `morph` can hand the new ones to a kept element.
//
// morph(parent, nodes) makes parent's children look like `nodes` while keeping the elements that
// are still there: children with the same `key` (data-key), or else the same tag at the same
// place, are updated in place instead of replaced. The element that has the focus, a half-typed
// input and a scroll position survive a redraw; only what changed is touched.

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden"]);
// The state a drawing always decides (false when not given); `value` only when it is given, so a
// field the drawing leaves alone keeps what the user typed.
const FLAGS = ["checked", "disabled", "selected", "hidden"];
const HANDLERS = Symbol("handlers");
const HAS_VALUE = Symbol("has value");

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  const handlers = new Set();
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) {
      el[name] = value;
      handlers.add(name);
    } else if (name === "key") el.dataset.key = String(value);
    else if (PROPERTIES.has(name)) {
      el[name] = value;
      if (name === "value") el[HAS_VALUE] = true;
    }
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  el[HANDLERS] = handlers;
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

function keyOf(node) {
  return node.nodeType === Node.ELEMENT_NODE ? (node.dataset.key ?? null) : null;
}

function sameKind(a, b) {
  return a.nodeType === b.nodeType && a.nodeName === b.nodeName;
}

/** Make `parent`'s children match `nodes` (freshly built by h), keeping what can be kept. */
export function morph(parent, nodes) {
  const wanted = [nodes]
    .flat(Infinity)
    .filter((n) => n !== null && n !== undefined && n !== false)
    .map((n) => (n instanceof Node ? n : document.createTextNode(String(n))));
  const keyed = new Map();
  for (const child of parent.childNodes) {
    const key = keyOf(child);
    if (key !== null) keyed.set(key, child);
  }
  let cursor = parent.firstChild;
  for (const next of wanted) {
    const key = keyOf(next);
    let match = null;
    if (key !== null) {
      const old = keyed.get(key);
      if (old && sameKind(old, next)) match = old;
      keyed.delete(key);
    } else if (cursor && keyOf(cursor) === null && sameKind(cursor, next)) {
      match = cursor;
    }
    if (!match) {
      parent.insertBefore(next, cursor);
      continue;
    }
    if (match === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(match, cursor);
    update(match, next);
  }
  while (cursor) {
    const gone = cursor;
    cursor = cursor.nextSibling;
    gone.remove();
  }
}

function update(old, next) {
  if (old.nodeType !== Node.ELEMENT_NODE) {
    if (old.nodeValue !== next.nodeValue) old.nodeValue = next.nodeValue;
    return;
  }
  for (const { name } of [...old.attributes]) {
    if (!next.hasAttribute(name)) old.removeAttribute(name);
  }
  for (const { name, value } of next.attributes) {
    if (old.getAttribute(name) !== value) old.setAttribute(name, value);
  }
  const oldHandlers = old[HANDLERS] || new Set();
  const nextHandlers = next[HANDLERS] || new Set();
  for (const name of oldHandlers) if (!nextHandlers.has(name)) old[name] = null;
  for (const name of nextHandlers) old[name] = next[name];
  old[HANDLERS] = nextHandlers;
  // Children first: a <select>'s value depends on its options.
  morph(old, [...next.childNodes]);
  for (const name of FLAGS) {
    if (name in next && old[name] !== next[name]) old[name] = next[name];
  }
  old[HAS_VALUE] = next[HAS_VALUE];
  if (next[HAS_VALUE] && old.value !== next.value) old.value = next.value;
}
