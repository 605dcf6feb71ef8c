/* Closing the shift on a blind count of the drawer, and its Z-report (print or PDF). */

import { anyDialogOpen, API, el, focusScan, ui } from "./dom.js";
import { fail, setStatus } from "./feedback.js";
import { DATE_TIME, formatSigned, formatTime, formatVnd } from "./format.js";
import { METHOD_LABELS, t } from "./i18n.js";
import { api } from "./net.js";
import { loadPrinter, printerState, togglePrinterPanel } from "./printer.js";
import { renderShift, shift, shiftLabel } from "./shift.js";
import { state } from "./store.js";

const denomInputs = Array.prototype.slice.call(ui.closeDialog.querySelectorAll("[data-denomination]"));
let closing = { shiftId: null, closed: false, submitting: false, report: null };
const CLOSE_TITLE = ui.closeTitle.textContent;

/** The blind count: {counted: {"500000": n, …}, total, bad: the first field that is not a count}. */
function readCount() {
  let counted = {};
  let total = 0;
  let bad = null;
  denomInputs.forEach(function (input) {
    let text = input.value.trim();
    let ok = text === "" || /^\d{1,6}$/.test(text);
    input.setAttribute("aria-invalid", ok ? "false" : "true");
    let n = ok && text ? Number(text) : 0;
    if (!ok && !bad) bad = input;
    let value = Number(input.dataset.denomination);
    counted[input.dataset.denomination] = n;
    total += value * n;
    let sub = ui.closeDialog.querySelector('[data-subtotal="' + input.dataset.denomination + '"]');
    if (sub) sub.textContent = n ? formatVnd(value * n) : "";
  });
  return { counted: counted, total: total, bad: bad };
}

function renderCount() {
  ui.countedTotal.textContent = formatVnd(readCount().total);
}

function closeMessage(text, kind) {
  ui.closeError.textContent = text || "";
  ui.closeError.className = "pos-status is-" + (kind || "error");
}

function showApproval(required) {
  ui.closeApproval.hidden = !required;
  ui.closeNoteRequired.hidden = !required;
  ui.closeNote.required = required;
}

export function openCloseShift() {
  if (anyDialogOpen()) return;
  if (!shift.current) { setStatus(t("no_open_shift"), "warn"); return; }
  if (state.pending) { fail(t("close_busy")); return; }
  togglePrinterPanel(false);
  if (closing.shiftId !== shift.current.id || closing.closed) {
    // A new count for a new shift; reopening the same shift keeps what was counted.
    closing = { shiftId: shift.current.id, closed: false, submitting: false, report: null };
    denomInputs.forEach(function (input) { input.value = ""; });
    ui.closeNote.value = "";
    ui.approverUsername.value = "";
    showApproval(false);
  }
  ui.approverPassword.value = "";
  ui.closeTitle.textContent = CLOSE_TITLE;
  ui.closeCount.hidden = false;
  ui.zreport.hidden = true;
  ui.closeConfirm.disabled = false;
  ui.closeShiftInfo.textContent = shiftLabel(shift.current) + ".";
  closeMessage(state.lines.length
    ? t("held_cart", { n: state.lines.length }) : "",
    "warn");
  renderCount();
  ui.closeDialog.showModal();
  denomInputs[0].focus();
  denomInputs[0].select();
}

function submitClose() {
  if (closing.submitting || closing.closed || !closing.shiftId) return;
  let count = readCount();
  if (count.bad) {
    closeMessage(t("bad_count"));
    count.bad.focus();
    count.bad.select();
    return;
  }
  let body = { counted: count.counted };
  let note = ui.closeNote.value.trim();
  if (note) body.note = note;
  if (!ui.closeApproval.hidden) {
    let username = ui.approverUsername.value.trim();
    let password = ui.approverPassword.value;
    if (!username || !password) {
      closeMessage(t("need_manager"));
      (username ? ui.approverPassword : ui.approverUsername).focus();
      return;
    }
    if (!note) {
      closeMessage(t("need_note"));
      ui.closeNote.focus();
      return;
    }
    body.approved_by = { username: username, password: password };
  }
  closing.submitting = true;
  ui.closeConfirm.disabled = true;
  closeMessage(t("closing"), "info");
  let shiftId = closing.shiftId;
  api("POST", "/shifts/" + encodeURIComponent(shiftId) + "/close", body).then(function (report) {
    showZReport(shiftId, report || {});
  }, function (err) {
    onCloseError(shiftId, err);
  }).then(function () {
    closing.submitting = false;
    ui.closeConfirm.disabled = closing.closed;
  });
}

function onCloseError(shiftId, err) {
  if (err.code === "needs_manager") {
    showApproval(true);
    closeMessage(err.message + " " + t("manager_hint"));
    (ui.approverUsername.value.trim() ? ui.approverPassword : ui.approverUsername).focus();
  } else if (err.field === "note") {
    showApproval(!ui.closeApproval.hidden);
    ui.closeNoteRequired.hidden = false;
    closeMessage(err.message);
    ui.closeNote.focus();
  } else if (err.code === "bad_approval") {
    ui.approverPassword.value = "";
    closeMessage(err.message);
    ui.approverPassword.focus();
  } else if (err.code === "too_many_attempts") {
    ui.approverPassword.value = "";
    closeMessage(err.message);
  } else if (err.code === "shift_closed") {
    // Closed already (an earlier answer was lost on the way): show its Z-report.
    return api("GET", "/shifts/" + encodeURIComponent(shiftId) + "/report").then(function (report) {
      showZReport(shiftId, report || {});
    }, function (e2) { closeMessage(err.message + " " + e2.message); });
  } else if (err.retryable) {
    closeMessage(err.message + " " + t("close_uncertain"));
  } else {
    closeMessage(err.message);
  }
  return undefined;
}

/** A two-column table of label → money, optionally with a count column. */
function moneyTable(caption, rows) {
  let section = el("section", "zreport-section");
  section.appendChild(el("h4", "", caption));
  let table = el("table", "zreport-table");
  rows.forEach(function (r) {
    let tr = el("tr", r.className || "");
    if (r.id) tr.id = r.id;
    tr.appendChild(el("th", "", r.label));
    if (r.count !== undefined) tr.appendChild(el("td", "zreport-count", t("z_count", { n: r.count })));
    let td = el("td", "money", r.text !== undefined ? r.text : formatVnd(r.amount));
    if (r.count === undefined && rows.some(function (x) { return x.count !== undefined; })) td.colSpan = 2;
    tr.appendChild(td);
    table.appendChild(tr);
  });
  section.appendChild(table);
  return section;
}

function tally(x) { return x || { count: 0, amount: 0 }; }

function renderZReport(r) {
  let body = ui.zreportBody;
  let head = el("div", "zreport-head");
  head.appendChild(el("h3", "", t("z_title")));
  let meta = [r.booth ? t("z_booth", { booth: r.booth }) : "", r.cashier ? t("cashier_is", { name: r.cashier_name || r.cashier }) : "",
              r.opened_at ? t("z_opened", { time: formatTime(r.opened_at, DATE_TIME) }) : "",
              r.closed_at ? t("z_closed", { time: formatTime(r.closed_at, DATE_TIME) }) : ""].filter(Boolean).join(" · ");
  head.appendChild(el("p", "pay-muted", meta));

  let byMethod = r.totals_by_method || {};
  let takings = moneyTable(t("z_by_method"), [
    { label: METHOD_LABELS.cash, amount: byMethod.cash || 0, id: "zreport-cash" },
    { label: METHOD_LABELS.transfer, amount: byMethod.transfer || 0, id: "zreport-transfer" },
    { label: METHOD_LABELS.card, amount: byMethod.card || 0, id: "zreport-card" },
    { label: t("z_net"), amount: r.net_total || 0, className: "is-total", id: "zreport-net" }
  ]);

  let vat = el("section", "zreport-section");
  vat.appendChild(el("h4", "", t("z_vat")));
  let rates = Object.keys(r.vat_by_rate || {}).sort(function (a, b) { return Number(a) - Number(b); });
  if (!rates.length) {
    vat.appendChild(el("p", "pay-muted", t("z_no_vat")));
  } else {
    let vt = el("table", "zreport-table zreport-vat");
    let hr = el("tr");
    [t("z_rate"), t("z_gross"), t("z_vat_amount"), t("z_before_vat")].forEach(function (h) { hr.appendChild(el("th", "", h)); });
    vt.appendChild(hr);
    rates.forEach(function (rate) {
      let row = r.vat_by_rate[rate] || {};
      let tr = el("tr");
      tr.dataset.vatRate = rate;
      tr.appendChild(el("th", "", rate + "%"));
      tr.appendChild(el("td", "money", formatVnd(row.gross)));
      tr.appendChild(el("td", "money", formatVnd(row.vat)));
      tr.appendChild(el("td", "money", formatVnd(row.net)));
      vt.appendChild(tr);
    });
    vat.appendChild(vt);
  }

  let sales = tally(r.sales), discounts = tally(r.discounts), refunds = tally(r.refunds), voids = tally(r.voids);
  let counts = moneyTable(t("z_orders"), [
    { label: t("z_sales"), count: sales.count, amount: sales.amount, id: "zreport-sales" },
    { label: t("z_discounts"), count: discounts.count, amount: discounts.amount, id: "zreport-discounts" },
    { label: t("z_refunds"), count: refunds.count, amount: refunds.amount, id: "zreport-refunds" },
    { label: t("z_voids"), count: voids.count, amount: voids.amount, id: "zreport-voids" }
  ]);

  let cash = moneyTable(t("z_cash"), [
    { label: t("z_float"), amount: r.opening_float || 0 },
    { label: t("z_cash_sales"), amount: r.cash_sales || 0 },
    { label: t("z_cash_in"), amount: r.cash_in || 0 },
    { label: t("z_cash_out"), text: formatSigned(-(r.cash_out || 0)) },
    { label: t("z_cash_refunds"), text: formatSigned(-(r.cash_refunds || 0)) },
    { label: t("z_expected"), amount: r.expected_cash || 0, className: "is-total", id: "zreport-expected" },
    { label: t("z_counted"), amount: r.counted_cash || 0, className: "is-total", id: "zreport-counted" }
  ]);

  let grid = el("div", "zreport-grid");
  grid.append(takings, vat, counts, cash);

  let diff = Number(r.difference) || 0;
  let diffBox = el("div", "zreport-diff " + (diff < 0 ? "is-short" : diff > 0 ? "is-over" : "is-even"));
  diffBox.appendChild(el("span", "", t(diff < 0 ? "z_short" : diff > 0 ? "z_over" : "z_even")));
  let diffValue = el("strong", "money", formatSigned(diff));
  diffValue.id = "zreport-difference";
  diffBox.appendChild(diffValue);

  let footer = el("p", "pay-muted");
  footer.textContent = [r.approved_by ? t("z_approved", { name: r.approved_by }) : "",
                        r.note ? t("z_note", { note: r.note }) : ""].filter(Boolean).join(" · ");
  body.replaceChildren(head, diffBox, grid, footer);
}

function showZReport(shiftId, report) {
  ui.closeTitle.textContent = t("shift_closed_title");
  closing.closed = true;
  closing.report = report;
  closing.shiftId = shiftId;
  if (shift.current && shift.current.id === shiftId) shift.current = null;
  renderShift();
  ui.approverPassword.value = "";
  closeMessage("");
  renderZReport(report);
  ui.zreportMessage.replaceChildren();
  ui.zreportMessage.className = "pos-status";
  ui.closeCount.hidden = true;
  ui.zreport.hidden = false;
  ui.zreportPrint.disabled = false;
  ui.zreportPrint.focus();
  setStatus(t("shift_closed"), "ok");
}

function zreportNote(text, kind) {
  ui.zreportMessage.textContent = text;
  ui.zreportMessage.className = "pos-status is-" + kind;
}

export function wireCloseShift() {
  ui.zreportPrint.addEventListener("click", function () {
    if (!closing.shiftId) return;
    if (printerState() === "none") {
      zreportNote(t("z_no_printer"), "warn");
      return;
    }
    ui.zreportPrint.disabled = true;
    api("POST", "/shifts/" + encodeURIComponent(closing.shiftId) + "/print", {}).then(function () {
      zreportNote(t("z_sent"), "ok");
    }, function (err) {
      zreportNote(t("z_send_failed", { error: err.message }), "error");
    }).then(function () {
      ui.zreportPrint.disabled = false;
      loadPrinter();
    });
  });
  ui.zreportPdf.addEventListener("click", function () {
    if (!closing.shiftId) return;
    window.open(API + "/shifts/" + encodeURIComponent(closing.shiftId) + "/zreport?format=pdf", "_blank", "noopener");
  });

  ui.closeShift.addEventListener("click", openCloseShift);
  ui.closeConfirm.addEventListener("click", submitClose);
  ui.closeDialog.addEventListener("click", function (e) {
    if (e.target.closest("button[data-close]")) ui.closeDialog.close();
  });
  ui.closeDialog.addEventListener("close", function () {
    ui.approverPassword.value = "";
    setTimeout(function () { focusScan(true); }, 0);
  });
  ui.closeDialog.addEventListener("input", function (e) {
    if (e.target.dataset && e.target.dataset.denomination) renderCount();
  });
  // Enter walks down the count (500.000 → … → 500 → note), then closes the shift.
  ui.closeDialog.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.defaultPrevented || ui.closeCount.hidden) return;
    let target = e.target;
    let i = denomInputs.indexOf(target);
    if (i !== -1) {
      e.preventDefault();
      let next = denomInputs[i + 1] || ui.closeNote;
      next.focus();
      if (next.select) next.select();
    } else if (target === ui.closeNote) {
      e.preventDefault();
      if (!ui.closeApproval.hidden && !ui.approverUsername.value.trim()) ui.approverUsername.focus();
      else submitClose();
    } else if (target === ui.approverUsername) {
      e.preventDefault();
      ui.approverPassword.focus();
    } else if (target === ui.approverPassword) {
      e.preventDefault();
      submitClose();
    }
  });
}
