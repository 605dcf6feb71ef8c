/* The cashier's shift: which one is open, and opening one with the float in the drawer. */

import { afterCartRender } from "./cart.js";
import { focusScan, ui } from "./dom.js";
import { setStatus } from "./feedback.js";
import { DATE_TIME, formatTime, formatVnd, isToday, parseMoney, parseTime } from "./format.js";
import { t } from "./i18n.js";
import { api } from "./net.js";
import { state } from "./store.js";

/** ``current``: undefined while unknown, null when none is open; ``then``: run once one opens. */
export const shift = { current: undefined, then: null };

/** "Ca mở lúc 08:15 · quỹ đầu ca 500.000 ₫": the time and the float, never the shift's UUID. */
export function shiftLabel(s) {
  let label;
  if (parseTime(s.opened_at)) {
    label = t("shift_opened_at", { time: formatTime(s.opened_at)
      + (isToday(s.opened_at) ? "" : " " + formatTime(s.opened_at, { day: "2-digit", month: "2-digit" })) });
  } else {
    label = t("shift_open");
  }
  if (typeof s.opening_float === "number") label += " · " + t("shift_float", { amount: formatVnd(s.opening_float) });
  return label;
}

export function renderShift() {
  const current = shift.current;
  if (current) {
    ui.shiftInfo.textContent = shiftLabel(current);
    ui.shiftInfo.title = parseTime(current.opened_at)
      ? t("shift_title", { time: formatTime(current.opened_at, DATE_TIME) })
        + (current.cashier ? " · " + t("cashier_is", { name: current.cashier_name || current.cashier }) : "")
      : "";
    ui.shiftInfo.classList.remove("is-warn");
  } else if (current === null) {
    ui.shiftInfo.textContent = t("no_shift");
    ui.shiftInfo.title = t("click_to_open");
    ui.shiftInfo.classList.add("is-warn");
  } else {
    ui.shiftInfo.textContent = "";
    ui.shiftInfo.title = "";
  }
  renderShiftActions();
}

/** Closing the shift or moving cash waits while a sale is still being saved. */
function renderShiftActions() {
  ui.closeShift.disabled = !shift.current || !!state.pending;
  ui.cashMoveOpen.disabled = !shift.current || !!state.pending;
}

export function loadShift() {
  api("GET", "/shifts/current").then(function (data) {
    shift.current = data && data.shift ? data.shift : null;
    renderShift();
    if (!shift.current) openShiftDialog();
  }, function (err) {
    setStatus(t("shift_check_failed", { error: err.message }), "warn");
  });
}

export function openShiftDialog(message) {
  if (ui.shiftDialog.open) return;
  if (ui.payDialog.open) ui.payDialog.close();
  ui.openShiftError.textContent = message || "";
  ui.openingFloatPreview.textContent = "";
  ui.shiftDialog.showModal();
  ui.openingFloat.focus();
  ui.openingFloat.select();
}

function confirmOpenShift() {
  const text = ui.openingFloat.value.trim();
  const amount = text ? parseMoney(text) : 0;
  if (amount === null || amount < 0) {
    ui.openShiftError.textContent = t("bad_float");
    ui.openingFloat.focus();
    return;
  }
  ui.openShiftConfirm.disabled = true;
  api("POST", "/shifts", { opening_float: amount }).then(function (data) {
    shift.current = (data && data.shift) || data || { id: "?" };
    renderShift();
    const next = shift.then; // read first: closing the dialog forgets it
    shift.then = null;
    ui.shiftDialog.close();
    focusScan(true); // now, not after the close event: the next scan may already be on its way
    setStatus(t("shift_opened", { amount: formatVnd(amount) }), "ok");
    if (next) next();
  }, function (err) {
    ui.openShiftError.textContent = err.message;
    setStatus(err.message, "error");
    ui.openingFloat.focus();
  }).then(function () { ui.openShiftConfirm.disabled = false; });
}

export function wireShift() {
  afterCartRender(renderShiftActions);
  ui.openShiftConfirm.addEventListener("click", confirmOpenShift);
  ui.openingFloat.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); confirmOpenShift(); }
  });
  ui.openingFloat.addEventListener("input", function () {
    const v = parseMoney(ui.openingFloat.value);
    ui.openingFloatPreview.textContent = v === null ? "" : "= " + formatVnd(v);
  });
  ui.shiftInfo.addEventListener("click", function () { if (shift.current === null) openShiftDialog(); });
  ui.shiftDialog.addEventListener("close", function () {
    shift.then = null;
    setTimeout(function () { focusScan(true); }, 0);
  });
  ui.shiftDialog.addEventListener("click", function (e) {
    if (e.target.closest("button[data-close]")) ui.shiftDialog.close();
  });
}
