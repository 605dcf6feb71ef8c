/*
 * The payment dialog: cash (what the customer handed over), transfer (VietQR) and card.
 * The amount typed in "Khách đưa" counts as it is typed, so a touch user can finish
 * without Enter; Enter or a quick-tender button makes it a line of its own.
 */

import { afterCartRender, cartTotal } from "./cart.js";
import { anyDialogOpen, focusScan, isEditable, ui } from "./dom.js";
import { beep } from "./feedback.js";
import { formatVnd, parseMoney } from "./format.js";
import { METHOD_LABELS, t } from "./i18n.js";
import { scansPending, setScanHooks } from "./scan.js";
import { openShiftDialog, shift } from "./shift.js";
import { saveState, state } from "./store.js";
import { cancelQr, clearQr, prepareTransfer, prepareTransferSoon } from "./vietqr.js";

const MAX_TENDER = 50000000; // a misread barcode in the tendered field is not 8 tỉ đồng

const pay = { method: "cash", submitting: false, submit: null, afterScans: false };

/** ``submit``: what "Hoàn tất" does once the money covers the total (sale.js). */
export function onSubmit(fn) { pay.submit = fn; }
export function setSubmitting(on) { pay.submitting = on; if (on) ui.confirm.disabled = true; }
export function isSubmitting() { return pay.submitting; }

function tooBig(amount) {
  return amount > MAX_TENDER && amount > 10 * cartTotal();
}

/** The cash typed in "Khách đưa" and not yet committed: it counts, unless it is not money. */
function draftCash() {
  const amount = parseMoney(ui.tendered.value);
  return amount !== null && amount > 0 && !tooBig(amount) ? amount : 0;
}

/**
 * Cash is what the customer handed over; transfers and card are exact amounts.
 * Change comes only from cash, and only beyond what the other methods left to pay.
 */
export function paymentSummary() {
  const total = cartTotal();
  let nonCash = 0;
  let cash = draftCash();
  state.payments.forEach(function (p) {
    if (p.method === "cash") cash += p.tendered; else nonCash += p.amount;
  });
  const due = Math.max(0, total - nonCash);
  const cashApplied = Math.min(cash, due);
  return {
    total: total, nonCash: nonCash, cash: cash, cashApplied: cashApplied,
    paid: nonCash + cash,
    remaining: Math.max(0, due - cash),
    change: Math.max(0, cash - due),
    overpaidNonCash: nonCash > total,
    covered: total > 0 && nonCash <= total && cash + nonCash >= total
  };
}

/** The contract's payments: amounts add up to the total; cash also says what was tendered. */
export function paymentsForApi() {
  const s = paymentSummary();
  const out = state.payments.filter(function (p) { return p.method !== "cash"; }).map(function (p) {
    const item = { method: p.method, amount: p.amount };
    if (p.reference) item.reference = p.reference;
    return item;
  });
  if (s.cashApplied > 0) out.push({ method: "cash", amount: s.cashApplied, tendered: s.cash });
  return out;
}

/** Make the typed cash a payment line of its own (before the sale is frozen and sent). */
export function commitDraftCash() {
  const amount = draftCash();
  if (!amount || state.pending) return;
  state.payments.push({ method: "cash", tendered: amount });
  ui.tendered.value = "";
  ui.tenderedPreview.textContent = "";
  saveState();
}

/** Memo for the bank transfer, so the booth can match the credit on its statement. */
function saleRef() {
  return "OCOP" + state.saleId.replace(/-/g, "").slice(0, 8).toUpperCase();
}

export function payError(message) {
  ui.payError.textContent = message || "";
  if (message) beep("error");
}

export function openPayment() {
  if (scansPending()) { pay.afterScans = true; return; } // scan, scan, F4: pay for all of them
  if (!state.lines.length || state.pending || anyDialogOpen()) return;
  if (shift.current === null) {
    shift.then = openPayment;
    openShiftDialog(t("pay_needs_shift"));
    return;
  }
  payError("");
  ui.tendered.value = "";
  ui.tenderedPreview.textContent = "";
  ui.payDialog.showModal();
  selectMethod("cash");
  renderPayment();
}

function selectMethod(m) {
  if (m !== "cash") commitDraftCash(); // cash typed, then the rest by transfer or card
  pay.method = m;
  ui.payDialog.querySelectorAll("[data-method]").forEach(function (b) {
    const on = b.dataset.method === m;
    b.setAttribute("aria-checked", on ? "true" : "false");
    b.classList.toggle("is-active", on);
  });
  ui.payDialog.querySelectorAll("[data-panel]").forEach(function (panel) {
    panel.hidden = panel.dataset.panel !== m;
  });
  const remaining = paymentSummary().remaining;
  if (m === "cash") {
    ui.tendered.focus();
  } else if (m === "transfer") {
    ui.transferAmount.value = remaining ? String(remaining) : "";
    prepareTransfer(paymentSummary().remaining, saleRef());
    ui.transferReceived.focus();
  } else if (m === "card") {
    ui.cardAmount.value = remaining ? String(remaining) : "";
    ui.cardRef.value = "";
    ui.cardRef.focus();
  }
  renderPayment();
}

export function renderPayment() {
  const s = paymentSummary();
  ui.payTotal.textContent = formatVnd(s.total);
  ui.payPaid.textContent = formatVnd(s.paid);
  ui.payRemaining.textContent = formatVnd(s.remaining);
  ui.change.textContent = formatVnd(s.change);
  ui.payDialog.classList.toggle("is-covered", s.covered);
  ui.confirm.disabled = !s.covered || pay.submitting || !!state.pending;
  ui.payDialog.classList.toggle("is-busy", !!state.pending);
  const items = state.payments.map(function (p, i) {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = (p.method === "cash" ? t("cash_tendered") : METHOD_LABELS[p.method])
      + (p.reference ? " · " + p.reference : "");
    const amount = document.createElement("strong");
    amount.className = "money";
    amount.textContent = formatVnd(p.method === "cash" ? p.tendered : p.amount);
    const rm = document.createElement("button");
    rm.type = "button";
    rm.dataset.removePayment = String(i);
    rm.textContent = "✕";
    rm.setAttribute("aria-label", t("remove_payment", { method: METHOD_LABELS[p.method] }));
    li.append(label, amount, rm);
    return li;
  });
  ui.payments.replaceChildren.apply(ui.payments, items);
  if (s.overpaidNonCash) payError(t("overpaid_remove"));
}

function addPayment(p) {
  if (state.pending) return;
  state.payments.push(p);
  payError("");
  saveState();
  renderPayment();
}

function addCash(amount) {
  if (!(amount > 0)) { payError(t("bad_amount")); return; }
  if (tooBig(amount)) {
    payError(t("tender_too_big", { amount: formatVnd(amount) }));
    ui.tendered.select();
    return;
  }
  ui.tendered.value = "";
  ui.tenderedPreview.textContent = "";
  addPayment({ method: "cash", tendered: amount });
  ui.tendered.focus(); // Enter now confirms, instead of pressing the quick button again
}

function addNonCash(kind, amount, reference) {
  const remaining = paymentSummary().remaining;
  if (!(amount > 0)) { payError(t("bad_amount")); return false; }
  if (amount > remaining) {
    payError(remaining ? t(kind === "card" ? "no_change_card" : "no_change_transfer", { amount: formatVnd(remaining) })
                       : t("paid_enough"));
    return false;
  }
  const p = { method: kind, amount: amount };
  if (reference) p.reference = reference;
  addPayment(p);
  return true;
}

function commitTendered() {
  const text = ui.tendered.value.trim();
  const amount = parseMoney(text);
  if (amount === null) { payError(t("bad_amount_text", { text: text })); return; }
  addCash(amount);
}

function addCard() {
  let amount = parseMoney(ui.cardAmount.value);
  if (amount === null) amount = paymentSummary().remaining;
  if (addNonCash("card", amount, ui.cardRef.value.trim())) {
    const left = paymentSummary().remaining;
    ui.cardAmount.value = left ? String(left) : "";
    ui.cardRef.value = "";
    ui.confirm.focus();
  }
}

function finish() {
  commitDraftCash();
  if (pay.submit) pay.submit();
}

export function wirePayment() {
  afterCartRender(function () { if (ui.payDialog.open) renderPayment(); });
  setScanHooks({ scansDone: function () {
    if (pay.afterScans) { pay.afterScans = false; openPayment(); }
  } });
  ui.pay.addEventListener("click", openPayment);

  ui.payDialog.addEventListener("click", function (e) {
    const target = e.target.closest("button");
    if (!target) return;
    if (target.hasAttribute("data-close")) { ui.payDialog.close(); return; }
    if (state.pending) return; // the sale is being saved: its payments are frozen
    if (target.dataset.method) { selectMethod(target.dataset.method); return; }
    if (target.dataset.tender) {
      // A quick-tender button says what the customer handed over, instead of what was typed.
      ui.tendered.value = "";
      ui.tenderedPreview.textContent = "";
      const s = paymentSummary();
      if (target.dataset.tender === "exact") {
        if (!s.remaining) { renderPayment(); payError(t("paid_enough")); ui.tendered.focus(); return; }
        addCash(s.remaining);
      } else {
        addCash(Number(target.dataset.tender));
      }
      return;
    }
    if (target.dataset.removePayment !== undefined) {
      state.payments.splice(Number(target.dataset.removePayment), 1);
      saveState();
      payError("");
      renderPayment();
    }
  });

  ui.tendered.addEventListener("input", function () {
    const v = parseMoney(ui.tendered.value);
    ui.tenderedPreview.textContent = v === null ? "" : "= " + formatVnd(v);
    payError(v !== null && tooBig(v) ? t("tender_too_big", { amount: formatVnd(v) }) : "");
    renderPayment();
  });

  ui.transferReceived.addEventListener("click", function () {
    let amount = parseMoney(ui.transferAmount.value);
    if (amount === null) amount = paymentSummary().remaining;
    if (addNonCash("transfer", amount, saleRef())) {
      const left = paymentSummary().remaining;
      ui.transferAmount.value = left ? String(left) : "";
      if (left) prepareTransfer(left, saleRef()); else clearQr();
      ui.confirm.focus();
    }
  });
  ui.transferAmount.addEventListener("input", function () {
    prepareTransferSoon(function () { return paymentSummary().remaining; }, saleRef);
  });
  ui.cardAdd.addEventListener("click", addCard);

  // Enter: commit what was typed; once the money covers the total, Enter finishes the sale.
  ui.payDialog.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.defaultPrevented) return;
    const target = e.target;
    const hasValue = isEditable(target) && target.value.trim() !== "";
    if (target === ui.tendered && hasValue) { e.preventDefault(); commitTendered(); return; }
    if ((target === ui.cardAmount || target === ui.cardRef) && (hasValue || !paymentSummary().covered)) {
      e.preventDefault();
      if (target === ui.cardRef || hasValue) addCard();
      return;
    }
    if (target === ui.transferAmount && hasValue && !paymentSummary().covered) {
      e.preventDefault();
      prepareTransfer(paymentSummary().remaining, saleRef());
      return;
    }
    const ownAction = target.tagName === "BUTTON" && target !== ui.confirm
      && (target.hasAttribute("data-close") || target.dataset.removePayment !== undefined);
    if (ownAction) return; // Enter on "back" or "✕" does what the button says
    if (paymentSummary().covered) { e.preventDefault(); finish(); return; }
    if (target.tagName === "BUTTON") return; // let Enter press the focused button
    e.preventDefault();
    payError(t("remaining", { amount: formatVnd(paymentSummary().remaining) }));
  });

  ui.confirm.addEventListener("click", finish);
  ui.payDialog.addEventListener("close", function () {
    payError("");
    cancelQr();
    setTimeout(function () { focusScan(true); }, 0);
  });
}
