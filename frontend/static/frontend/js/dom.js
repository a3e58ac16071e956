// A tiny DOM builder: h("button", {onclick, class: "primary"}, "去结算").
// Text is always inserted as text, never parsed as HTML, so server data cannot inject markup.

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden"]);

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (PROPERTIES.has(name)) el[name] = value;
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
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

/** Disable `button` while `work` runs, so a double click sends one request. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
