/* Cash put into or taken out of the drawer during a shift, always with a reason. */

import { anyDialogOpen, focusScan, ui } from "./dom.js";
import { setStatus } from "./feedback.js";
import { formatVnd, parseMoney } from "./format.js";
import { t } from "./i18n.js";
import { api } from "./net.js";
import { openShiftDialog, renderShift, shift } from "./shift.js";
import { state } from "./store.js";

function openCashMove() {
  if (anyDialogOpen() || state.pending) return;
  if (!shift.current) { openShiftDialog(t("cash_needs_shift")); return; }
  ui.cashMoveKind.value = "in";
  ui.cashMoveAmount.value = "";
  ui.cashMovePreview.textContent = "";
  ui.cashMoveReason.value = "";
  ui.cashMoveError.textContent = "";
  ui.cashMove.showModal();
  ui.cashMoveKind.focus();
}

function confirmCashMove() {
  if (ui.cashMoveConfirm.disabled || !shift.current) return;
  const kind = ui.cashMoveKind.value === "out" ? "out" : "in";
  const amount = parseMoney(ui.cashMoveAmount.value);
  const reason = ui.cashMoveReason.value.trim();
  if (amount === null || amount <= 0) {
    ui.cashMoveError.textContent = t("bad_amount");
    ui.cashMoveAmount.focus();
    return;
  }
  if (!reason) {
    ui.cashMoveError.textContent = t("reason_required");
    ui.cashMoveReason.focus();
    return;
  }
  ui.cashMoveConfirm.disabled = true;
  ui.cashMoveError.textContent = "";
  api("POST", "/shifts/" + encodeURIComponent(shift.current.id) + "/cash",
      { kind: kind, amount: amount, reason: reason }).then(function () {
    ui.cashMove.close();
    setStatus(t(kind === "in" ? "cash_in_done" : "cash_out_done", { amount: formatVnd(amount), reason: reason }), "ok");
  }, function (err) {
    ui.cashMoveError.textContent = err.retryable ? err.message + " " + t("cash_uncertain") : err.message;
    if (err.code === "shift_closed") { shift.current = null; renderShift(); }
  }).then(function () { ui.cashMoveConfirm.disabled = false; });
}

export function wireCashDrawer() {
  ui.cashMoveOpen.addEventListener("click", openCashMove);
  ui.cashMoveConfirm.addEventListener("click", confirmCashMove);
  ui.cashMove.addEventListener("click", function (e) {
    if (e.target.closest("button[data-close]")) ui.cashMove.close();
  });
  ui.cashMove.addEventListener("close", function () { setTimeout(function () { focusScan(true); }, 0); });
  ui.cashMoveAmount.addEventListener("input", function () {
    const v = parseMoney(ui.cashMoveAmount.value);
    ui.cashMovePreview.textContent = v === null ? "" : "= " + formatVnd(v);
  });
  ui.cashMove.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.defaultPrevented) return;
    if (e.target === ui.cashMoveKind) { e.preventDefault(); ui.cashMoveAmount.focus(); }
    else if (e.target === ui.cashMoveAmount) { e.preventDefault(); ui.cashMoveReason.focus(); }
    else if (e.target === ui.cashMoveReason) { e.preventDefault(); confirmCashMove(); }
  });
}
