// Small DOM helpers: text only (textContent), never HTML from the API.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

export function say(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

export function options(select, table, { keep = true } = {}) {
  if (!keep) select.replaceChildren();
  for (const [value, label] of Object.entries(table)) select.append(el("option", { value }, label));
}
