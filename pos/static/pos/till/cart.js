/* The cart: lines, quantities, the selected line, and its table. Money is integer đồng. */

import { MAX_QTY, root, ui } from "./dom.js";
import { beep, fail, setStatus } from "./feedback.js";
import { formatVnd } from "./format.js";
import { t } from "./i18n.js";
import { resetState, saveState, state } from "./store.js";

const renderHooks = [];

/** Run ``fn`` after every render of the cart (the payment dialog and shift buttons follow it). */
export function afterCartRender(fn) { renderHooks.push(fn); }

export function cartTotal() {
  return state.lines.reduce(function (sum, l) { return sum + l.unit_price * l.qty; }, 0);
}

export function findLine(key) {
  for (let i = 0; i < state.lines.length; i++) if (state.lines[i].key === key) return state.lines[i];
  return null;
}

function barcodeStrings(product) {
  return (product.barcodes || []).map(function (b) { return typeof b === "string" ? b : b && b.code; })
    .filter(Boolean);
}

/** Price-embedded in-store code (24IIIIPPPPPPC): the label's price, not the catalog's. */
function embeddedPrice(code, scan) {
  if (scan && typeof scan.embedded_price === "number") return scan.embedded_price;
  if (/^24\d{11}$/.test(code)) return Number(code.slice(6, 12));
  return null;
}

/** Selling more than the shelf holds: the counter never blocks it, but says so plainly. */
function shortOf(line) {
  if (line.on_hand === null || line.on_hand === undefined || line.qty <= line.on_hand) return "";
  return t(line.on_hand <= 0 ? "out_of_stock" : "over_stock", { n: line.on_hand });
}

export function addProduct(product, options) {
  const qty = options.qty || 1;
  const scanned = options.scanned || null;
  const labelPrice = scanned ? embeddedPrice(scanned, options.scan) : null;
  // The server answers null when this booth never held the product: nothing on the shelf.
  const onHand = typeof product.on_hand === "number" ? product.on_hand : product.on_hand === null ? 0 : null;
  // A priced label is its own line (its own price); everything else groups by product.
  const key = labelPrice !== null ? "b:" + scanned : "p:" + product.id;
  let line = findLine(key);
  if (line) {
    line.qty = Math.min(MAX_QTY, line.qty + qty);
  } else {
    line = {
      key: key, product_id: product.id, barcode: labelPrice !== null ? scanned : null,
      name: product.name, code: product.code || "", unit: product.unit || "",
      unit_price: labelPrice !== null ? labelPrice : product.price, qty: Math.min(MAX_QTY, qty),
      on_hand: onHand, codes: barcodeStrings(product)
    };
    state.lines.push(line);
  }
  if (onHand !== null) line.on_hand = onHand;
  if (scanned && line.codes.indexOf(scanned) === -1) line.codes.push(scanned);
  state.selected = key;
  renderCart(key);
  const text = line.name + " — " + formatVnd(line.unit_price) + (line.qty > 1 ? " × " + line.qty : "");
  const short = shortOf(line);
  if (short) {
    beep("warn");
    setStatus(text + ". " + short + ". " + t("sell_anyway"), "warn");
  } else {
    beep("ok");
    setStatus(text, "ok");
  }
}

export function changeQty(line, delta) {
  if (state.pending) return;
  line.qty = Math.max(1, Math.min(MAX_QTY, line.qty + delta));
  state.selected = line.key;
  renderCart(line.key);
}

export function setSelectedQty(qty) {
  const line = findLine(state.selected);
  if (!line || state.pending) { fail(t("select_line_first")); return; }
  line.qty = Math.max(1, Math.min(MAX_QTY, qty));
  renderCart(line.key);
}

export function removeLine(key) {
  if (state.pending) return;
  const i = state.lines.findIndex(function (l) { return l.key === key; });
  if (i === -1) return;
  const removed = state.lines.splice(i, 1)[0];
  const next = state.lines[Math.min(i, state.lines.length - 1)];
  state.selected = next ? next.key : null;
  renderCart();
  setStatus(t("removed", { name: removed.name }), "info");
}

export function moveSelection(step) {
  if (!state.lines.length) return;
  let i = state.lines.findIndex(function (l) { return l.key === state.selected; });
  i = i === -1 ? (step > 0 ? 0 : state.lines.length - 1)
               : Math.max(0, Math.min(state.lines.length - 1, i + step));
  state.selected = state.lines[i].key;
  renderCart();
}

let clearArmedUntil = 0;

/** F8 twice (or the button twice) within 3 s: an accidental press never empties a cart. */
export function requestClear() {
  if (!state.lines.length || state.pending) return;
  const now = Date.now();
  if (now < clearArmedUntil) {
    clearArmedUntil = 0;
    resetState();
    renderCart();
    setStatus(t("cleared"), "info");
    return;
  }
  clearArmedUntil = now + 3000;
  setStatus(t("clear_confirm"), "warn");
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (text !== undefined) td.textContent = text;
  return td;
}

function button(text, action, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.dataset.action = action;
  b.textContent = text;
  b.tabIndex = -1; // the scan field keeps focus; keyboard users have +, -, Delete
  if (label) b.setAttribute("aria-label", label);
  return b;
}

export function renderCart(flashKey) {
  const rows = state.lines.map(function (line, i) {
    const tr = document.createElement("tr");
    tr.dataset.key = line.key;
    tr.dataset.productId = line.product_id;
    if (line.key === state.selected) { tr.classList.add("is-selected"); tr.setAttribute("aria-selected", "true"); }
    const short = shortOf(line);
    if (short) {
      tr.classList.add("is-short");
      tr.title = t("short_stock", { n: line.on_hand });
    }
    if (line.key === flashKey) tr.classList.add("is-flash");
    tr.appendChild(cell(String(i + 1), "col-no"));
    const name = cell(undefined, "col-name");
    const strong = document.createElement("span");
    strong.className = "line-name";
    strong.textContent = line.name;
    name.appendChild(strong);
    if (short) {
      const warning = document.createElement("span");
      warning.className = "line-stock-warning";
      warning.textContent = short;
      name.appendChild(warning);
    }
    const meta = document.createElement("small");
    meta.textContent = [line.code, line.barcode ? t("label_price", { code: line.barcode }) : ""]
      .filter(Boolean).join(" · ");
    name.appendChild(meta);
    tr.appendChild(name);
    const qty = cell(undefined, "col-qty");
    qty.appendChild(button("−", "dec", t("dec_qty")));
    const q = document.createElement("span");
    q.className = "qty";
    q.textContent = String(line.qty);
    qty.appendChild(q);
    qty.appendChild(button("+", "inc", t("inc_qty")));
    tr.appendChild(qty);
    tr.appendChild(cell(formatVnd(line.unit_price), "col-money money"));
    tr.appendChild(cell(formatVnd(line.unit_price * line.qty), "col-money money line-amount"));
    const rm = cell(undefined, "col-remove");
    rm.appendChild(button("✕", "remove", t("remove_line", { name: line.name })));
    tr.appendChild(rm);
    return tr;
  });
  const tbody = ui.cart.tBodies[0];
  tbody.replaceChildren.apply(tbody, rows);
  const count = state.lines.reduce(function (s, l) { return s + l.qty; }, 0);
  ui.cartEmpty.hidden = state.lines.length > 0;
  ui.total.textContent = formatVnd(cartTotal());
  ui.itemCount.textContent = count ? t("item_count", { n: count }) : "";
  ui.pay.disabled = !state.lines.length || state.pending;
  ui.clearCart.disabled = !state.lines.length || state.pending;
  root.classList.toggle("is-locked", !!state.pending);
  const selected = tbody.querySelector("tr.is-selected");
  if (selected && selected.scrollIntoView) selected.scrollIntoView({ block: "nearest" });
  renderHooks.forEach(function (fn) { fn(); });
  saveState();
}

/** Clicks on the cart's rows: +, −, ✕, or select the line. */
export function wireCart() {
  ui.cart.tBodies[0].addEventListener("click", function (e) {
    const tr = e.target.closest("tr");
    if (!tr) return;
    const line = findLine(tr.dataset.key);
    if (!line) return;
    const action = e.target.closest("button") && e.target.closest("button").dataset.action;
    if (action === "inc") changeQty(line, 1);
    else if (action === "dec") changeQty(line, -1);
    else if (action === "remove") removeLine(line.key);
    else { state.selected = line.key; renderCart(); }
  });
  ui.clearCart.addEventListener("click", requestClear);
}
