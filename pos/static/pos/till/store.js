/*
 * The cart and the sale id live in localStorage: a reload, a crash or a power cut loses
 * nothing, and a sale whose answer was lost is retried with the SAME id, which the
 * server treats as the same sale (no double stock move, no double payment).
 */

const STORAGE_KEY = "ocop.pos.cart.v1";

/** crypto.randomUUID only exists on https/localhost; a tablet on the shop LAN uses http. */
function uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    try { return window.crypto.randomUUID(); } catch (e) { /* insecure context */ }
  }
  const b = new Uint8Array(16);
  window.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

function newState() {
  return { v: 1, saleId: uuid(), lines: [], payments: [], selected: null, pending: false,
           request: null, attempts: 0, expectedChange: 0 };
}

function loadState() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    if (saved && saved.v === 1 && typeof saved.saleId === "string" && Array.isArray(saved.lines)
        && Array.isArray(saved.payments)) {
      return saved;
    }
  } catch (e) { /* corrupt or blocked storage: start clean */ }
  return null;
}

/** The sale being made; one object for the page's life, so every module sees the same one. */
export const state = loadState() || newState();

/** The next customer: a new sale id and an empty cart (the caller renders and saves). */
export function resetState() {
  Object.assign(state, newState());
}

export function saveState() {
  try { localStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* full or blocked */ }
}
