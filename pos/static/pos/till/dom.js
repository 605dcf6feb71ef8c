/* The cashier page's elements and settings, looked up once (ids are stable: the browser tests drive them). */

export const root = document.getElementById("pos-app");

function $(id) { return document.getElementById(id); }

export const API = (root && root.dataset.api) || "/api/v1";
export const RECEIPT_BASE = (root && root.dataset.receiptBase) || "/sales/";
export const MAX_QTY = 9999;

export const ui = root ? {
  scan: $("scan"), scanKeyboard: $("scan-keyboard"),
  search: $("search"), results: $("search-results"),
  cart: $("cart"), cartEmpty: $("cart-empty"), total: $("total"), itemCount: $("item-count"),
  pay: $("pay"), clearCart: $("clear-cart"), status: $("status"), shiftInfo: $("shift-info"),
  saleDone: $("sale-done"), saleNumber: $("sale-number"), saleChange: $("sale-change"),
  receiptOpen: $("receipt-open"), receiptDialog: $("receipt-dialog"), receiptFull: $("receipt-full"),
  reprint: $("reprint"), saleDoneClose: $("sale-done-close"),
  payDialog: $("payment-dialog"), payTotal: $("pay-total"), payPaid: $("pay-paid"),
  payRemaining: $("pay-remaining"), tendered: $("tendered"), tenderedPreview: $("tendered-preview"),
  payments: $("payments"), change: $("change"), confirm: $("confirm-payment"),
  payError: $("payment-error"), vietqr: $("vietqr"), vietqrAmount: $("vietqr-amount"),
  vietqrRef: $("vietqr-ref"), vietqrAccount: $("vietqr-account"),
  transferAmount: $("transfer-amount"), transferReceived: $("transfer-received"),
  cardAmount: $("card-amount"), cardRef: $("card-ref"), cardAdd: $("card-add"),
  shiftDialog: $("open-shift-dialog"), openingFloat: $("opening-float"),
  openingFloatPreview: $("opening-float-preview"), openShiftConfirm: $("open-shift-confirm"),
  openShiftError: $("open-shift-error"),
  printerState: $("printer-state"), printerPanel: $("printer-panel"), printerName: $("printer-name"),
  printerSummary: $("printer-summary"), printerJobs: $("printer-jobs"),
  cashMoveOpen: $("cash-move-open"), cashMove: $("cash-move"), cashMoveKind: $("cash-move-kind"),
  cashMoveAmount: $("cash-move-amount"), cashMovePreview: $("cash-move-preview"),
  cashMoveReason: $("cash-move-reason"), cashMoveError: $("cash-move-error"),
  cashMoveConfirm: $("cash-move-confirm"),
  closeShift: $("close-shift"), closeDialog: $("close-shift-dialog"), closeTitle: $("close-shift-title"),
  closeCount: $("close-count"), closeShiftInfo: $("close-shift-info"), countedTotal: $("counted-total"),
  closeNote: $("close-note"), closeNoteRequired: $("close-note-required"), closeApproval: $("close-approval"),
  approverUsername: $("approver-username"), approverPassword: $("approver-password"),
  closeError: $("close-shift-error"), closeConfirm: $("close-shift-confirm"),
  zreport: $("zreport"), zreportBody: $("zreport-body"), zreportMessage: $("zreport-message"),
  zreportPrint: $("zreport-print"), zreportPdf: $("zreport-pdf")
} : null;

export function anyDialogOpen() {
  return !!document.querySelector("dialog[open]");
}

export function isEditable(el) {
  if (!el || !el.tagName) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  if (el.tagName !== "INPUT") return false;
  return ["button", "submit", "reset", "checkbox", "radio", "range", "color", "file", "image"]
    .indexOf(el.type) === -1;
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Put the cursor back in the scan field, unless a dialog or the open search list has it. */
export function focusScan(hard) {
  if (anyDialogOpen()) return;
  const active = document.activeElement;
  if (active === ui.search && !ui.results.hidden) return;
  // After a modal dialog closes, Chromium restores focus to the scan field in name only:
  // typed text goes nowhere until it is blurred and focused again.
  if (hard && active === ui.scan) ui.scan.blur();
  if (hard || active !== ui.scan) ui.scan.focus({ preventScroll: true });
}
