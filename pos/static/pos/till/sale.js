/*
 * Sending the sale. The request is frozen before the first try and retried, with the
 * same id and body, until the server answers: a lost answer never makes two sales.
 */

import { renderCart } from "./cart.js";
import { focusScan, ui } from "./dom.js";
import { beep, setStatus } from "./feedback.js";
import { formatVnd } from "./format.js";
import { t } from "./i18n.js";
import { api } from "./net.js";
import { isSubmitting, openPayment, payError, paymentSummary, paymentsForApi, renderPayment,
         setSubmitting } from "./payment.js";
import { loadPrinter } from "./printer.js";
import { showSaleDone } from "./receipt.js";
import { openShiftDialog, renderShift, shift } from "./shift.js";
import { resetState, saveState, state } from "./store.js";

const RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 30000];
let retryTimer = null;

function linesForApi() {
  return state.lines.map(function (l) {
    // A priced label goes by its barcode so the server reads the price from it.
    return l.barcode ? { barcode: l.barcode, qty: l.qty } : { product_id: l.product_id, qty: l.qty };
  });
}

export function submitSale() {
  if (isSubmitting() || state.pending) return;
  const s = paymentSummary();
  if (s.overpaidNonCash) { payError(t("overpaid")); return; }
  if (!s.covered) { payError(t("remaining", { amount: formatVnd(s.remaining) })); return; }
  // Freeze the request: every retry sends exactly the same body under the same id.
  state.request = { id: state.saleId, lines: linesForApi(), payments: paymentsForApi() };
  state.expectedChange = s.change;
  state.pending = true;
  state.attempts = 0;
  renderCart();
  attemptSubmit();
}

export function attemptSubmit() {
  clearTimeout(retryTimer);
  if (!state.pending || !state.request || isSubmitting()) return;
  setSubmitting(true);
  setStatus(t("saving"), "info");
  api("POST", "/sales", state.request).then(function (sale) {
    setSubmitting(false);
    onSaleDone(sale || {});
  }, function (err) {
    setSubmitting(false);
    if (err.retryable) {
      state.attempts += 1;
      saveState();
      const delay = RETRY_DELAYS[Math.min(state.attempts - 1, RETRY_DELAYS.length - 1)];
      if (ui.payDialog.open) ui.payDialog.close();
      setStatus(t("retrying", { n: state.attempts, s: Math.round(delay / 1000) }), "error",
                { id: "retry-now", label: t("retry_now"), run: attemptSubmit });
      retryTimer = setTimeout(attemptSubmit, delay);
      return;
    }
    // The server refused and wrote nothing: unlock the cart so the cashier can fix it.
    state.pending = false;
    state.request = null;
    renderCart();
    setStatus(err.message, "error");
    beep("error");
    if (err.code === "no_open_shift") {
      shift.current = null;
      renderShift();
      shift.then = openPayment;
      openShiftDialog(err.message);
    } else if (ui.payDialog.open) {
      payError(err.message);
      renderPayment();
    }
  });
}

function onSaleDone(sale) {
  const change = typeof sale.change === "number" ? sale.change : state.expectedChange;
  const id = sale.id || state.saleId;
  showSaleDone(id, sale.number, change);
  resetState();
  renderCart();
  if (ui.payDialog.open) ui.payDialog.close();
  setStatus(t("sale_saved", { number: sale.number || "", change: formatVnd(change) }), "ok");
  beep("ok");
  focusScan();
  // The receipt is queued with the sale: show it waiting now, and how it went shortly after.
  loadPrinter();
  setTimeout(loadPrinter, 3000);
}

/** A sale left half-sent by a reload or a power cut goes out again, as the same sale. */
export function resumeSale() {
  if (state.pending && state.request) {
    setStatus(t("resuming"), "info");
    attemptSubmit();
  } else if (state.pending) {
    state.pending = false; // nothing was frozen: unlock
    renderCart();
  } else if (state.lines.length) {
    setStatus(t("restored", { n: state.lines.length }), "info");
  }
  window.addEventListener("online", function () { if (state.pending) attemptSubmit(); });
}
