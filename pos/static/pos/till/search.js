/*
 * Search by name, code or barcode (F2). The server ranks the results (name matches
 * before producer matches, this booth's shelf before an empty one); the list never
 * pre-selects a product that is out of stock, so Enter does not sell one by accident.
 */

import { addProduct } from "./cart.js";
import { focusScan, ui } from "./dom.js";
import { fail, setStatus } from "./feedback.js";
import { formatVnd } from "./format.js";
import { t } from "./i18n.js";
import { api } from "./net.js";
import { enqueueScan } from "./scan.js";
import { state } from "./store.js";

const SEARCH_DEBOUNCE_MS = 200;
const SEARCH_LIMIT = 8;

let searchTimer = null;
let searchAbort = null;
let searchItems = [];
let searchIndex = -1;
let pickWhenLoaded = false; // Enter was pressed before the results for this query came back
let beforePick = null;

/** What to do before a picked product goes into the cart (hide the last sale). */
export function onSearchPick(fn) { beforePick = fn; }

function isOut(product) {
  return typeof product.on_hand === "number" && product.on_hand <= 0;
}

/** The first result on the shelf, or -1: an out-of-stock line is chosen on purpose only. */
function firstInStock() {
  return searchItems.findIndex(function (p) { return !isOut(p); });
}

export function closeResults() {
  ui.results.hidden = true;
  ui.results.replaceChildren();
  ui.search.parentElement.setAttribute("aria-expanded", "false");
  ui.search.removeAttribute("aria-activedescendant");
  searchItems = [];
  searchIndex = -1;
}

function renderResults(message) {
  const items = searchItems.map(function (p, i) {
    const li = document.createElement("li");
    li.id = "search-option-" + i;
    li.setAttribute("role", "option");
    li.dataset.index = String(i);
    li.setAttribute("aria-selected", i === searchIndex ? "true" : "false");
    if (isOut(p)) li.classList.add("is-out");
    const name = document.createElement("span");
    name.className = "result-name";
    name.textContent = p.name;
    const price = document.createElement("span");
    price.className = "result-price money";
    price.textContent = formatVnd(p.price);
    const meta = document.createElement("small");
    meta.textContent = [p.code, p.producer && p.producer.name,
                        isOut(p) ? t("search_out", { n: p.on_hand })
                          : typeof p.on_hand === "number" ? t("search_left", { n: p.on_hand }) : ""]
      .filter(Boolean).join(" · ");
    li.append(name, price, meta);
    return li;
  });
  if (message || !items.length) {
    const li = document.createElement("li");
    li.className = "result-empty";
    li.textContent = message || t("search_none");
    items.push(li);
  }
  ui.results.replaceChildren.apply(ui.results, items);
  ui.results.hidden = false;
  ui.search.parentElement.setAttribute("aria-expanded", "true");
  if (searchIndex >= 0) {
    ui.search.setAttribute("aria-activedescendant", "search-option-" + searchIndex);
    const active = ui.results.children[searchIndex];
    if (active && active.scrollIntoView) active.scrollIntoView({ block: "nearest" });
  } else {
    ui.search.removeAttribute("aria-activedescendant");
  }
}

export function runSearch(q) {
  clearTimeout(searchTimer);
  searchTimer = null;
  if (searchAbort) searchAbort.abort();
  searchAbort = new AbortController();
  const path = "/products?q=" + encodeURIComponent(q) + "&limit=" + SEARCH_LIMIT;
  api("GET", path, undefined, { signal: searchAbort.signal }).then(function (data) {
    if (ui.search.value.trim() !== q) return; // a newer query is on its way
    searchItems = Array.isArray(data) ? data : (data && (data.products || data.items || data.results)) || [];
    searchIndex = firstInStock();
    const pick = pickWhenLoaded;
    pickWhenLoaded = false;
    if (pick && searchIndex >= 0) { pickResult(searchIndex); return; }
    renderResults();
    if (pick && searchItems.length) setStatus(t("search_pick_out"), "warn");
  }, function (err) {
    if (err && err.name === "AbortError") return;
    searchItems = [];
    searchIndex = -1;
    renderResults(err.message);
  });
}

/** A name typed into the scan field: look for it here instead. */
export function searchFor(text) {
  ui.search.value = text;
  ui.search.focus();
  runSearch(text);
}

function pickResult(i) {
  const product = searchItems[i];
  if (!product) return;
  ui.search.value = "";
  closeResults();
  if (state.pending) { fail(t("busy_pick")); return; }
  if (beforePick) beforePick();
  addProduct(product, { qty: 1 });
  focusScan();
}

export function focusSearch() {
  ui.search.focus();
  ui.search.select();
}

export function wireSearch() {
  ui.search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = null;
    pickWhenLoaded = false;
    const q = ui.search.value.trim();
    if (!q) { closeResults(); return; }
    searchTimer = setTimeout(function () { searchTimer = null; runSearch(q); }, SEARCH_DEBOUNCE_MS);
  });

  ui.search.addEventListener("keydown", function (e) {
    if (e.isComposing) return;
    const n = searchItems.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!n) return;
      searchIndex = (searchIndex + (e.key === "ArrowDown" ? 1 : -1) + n) % n;
      renderResults();
    } else if (e.key === "Enter") {
      e.preventDefault();
      const q = ui.search.value.trim();
      if (/^\d{8,14}$/.test(q)) {
        // A barcode typed (or scanned slowly) into the search box: sell it directly.
        ui.search.value = "";
        closeResults();
        enqueueScan(q, 1, "typed");
        focusScan();
      } else if (n && !searchTimer) {
        if (searchIndex >= 0) pickResult(searchIndex);
        else setStatus(t("search_pick_out"), "warn");
      } else if (q) {
        // Typed faster than the debounce: search now and take the first match on the shelf.
        pickWhenLoaded = true;
        runSearch(q);
      }
    } else if (e.key === "Escape") {
      e.preventDefault();
      ui.search.value = "";
      closeResults();
      focusScan();
    }
  });

  ui.search.addEventListener("blur", function () {
    // Let a click on a result land before the list goes away.
    setTimeout(function () { if (document.activeElement !== ui.search) closeResults(); }, 150);
  });

  ui.results.addEventListener("pointerdown", function (e) { e.preventDefault(); });
  ui.results.addEventListener("click", function (e) {
    const li = e.target.closest("li[data-index]");
    if (li) pickResult(Number(li.dataset.index));
  });
}
