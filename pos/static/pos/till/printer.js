/* The receipt printer's state in the bar, and the panel of failed print jobs to retry. */

import { anyDialogOpen, focusScan, ui } from "./dom.js";
import { fail, setStatus } from "./feedback.js";
import { DATE_TIME, formatTime } from "./format.js";
import { t } from "./i18n.js";
import { api } from "./net.js";

const PRINTER_POLL_MS = 10000;
let printerStatus = null; // the last GET /printer/status, or {state: "unknown", error}
let printerSeq = 0;

/** "none" when no printer is configured (the Z-report then offers the PDF instead). */
export function printerState() { return printerStatus ? printerStatus.state : "unknown"; }

export function loadPrinter() {
  const seq = ++printerSeq;
  return api("GET", "/printer/status").then(function (data) {
    if (seq !== printerSeq) return;
    printerStatus = data || { state: "unknown", failed: [], pending: 0 };
    renderPrinter();
  }, function (err) {
    if (seq !== printerSeq) return;
    printerStatus = { state: "unknown", error: err.message, failed: [], pending: 0 };
    renderPrinter();
  });
}

function printerLabel(s, failedCount) {
  if (s.state === "none") return t("pr_none");
  if (s.state === "error") return t("pr_error", { n: failedCount });
  if (s.state === "busy") return t("pr_busy", { n: s.pending || 0 });
  if (s.state === "ok") return t("pr_ok");
  return t("pr_unknown");
}

function jobTitle(job) {
  if (job.kind === "zreport") return t("job_zreport");
  return t(job.reprint ? "job_reprint" : "job_receipt", { number: job.number || "" });
}

export function renderPrinter() {
  const s = printerStatus || { state: "unknown", failed: [], pending: 0 };
  const failed = Array.isArray(s.failed) ? s.failed : [];
  // The server lists the oldest failures only; failed_count counts them all.
  const failedCount = typeof s.failed_count === "number" ? s.failed_count : failed.length;
  const state = ["none", "ok", "busy", "error"].indexOf(s.state) === -1 ? "unknown" : s.state;
  ui.printerState.textContent = t("printer", { state: printerLabel(s, failedCount) });
  ui.printerState.dataset.state = state;
  ui.printerState.className = "pos-printer-state is-" + state;

  let name = s.printer ? s.printer.charAt(0).toUpperCase() + s.printer.slice(1) : "";
  if (name && s.paper_mm) name += " · " + t("paper", { mm: s.paper_mm });
  ui.printerName.textContent = name;
  let summary;
  if (state === "unknown") summary = s.error ? t("pr_status_error", { error: s.error }) : t("pr_status_failed");
  else if (state === "none") summary = t("pr_none_summary");
  else if (failedCount) {
    summary = s.pending ? t("pr_failed_pending", { failed: failedCount, pending: s.pending })
                        : t("pr_failed", { failed: failedCount });
  }
  else if (s.pending) summary = t("pr_pending", { n: s.pending });
  else summary = t("pr_ready");
  ui.printerSummary.textContent = summary;

  const items = failed.map(function (job) {
    const li = document.createElement("li");
    li.dataset.jobId = job.id;
    const title = document.createElement("strong");
    title.textContent = jobTitle(job);
    const error = document.createElement("span");
    error.className = "pos-printer-error";
    error.textContent = job.last_error || t("job_unknown_error");
    const meta = document.createElement("small");
    meta.textContent = t("job_attempts", { n: job.attempts || 0 })
      + (job.created_at ? " · " + t("job_created", { time: formatTime(job.created_at, DATE_TIME) }) : "");
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "pos-secondary";
    retry.dataset.retryJob = job.id;
    retry.textContent = t("retry");
    retry.setAttribute("aria-label", t("retry_label", { job: jobTitle(job) }));
    const text = document.createElement("div");
    text.append(title, error, meta);
    li.append(text, retry);
    return li;
  });
  ui.printerJobs.replaceChildren.apply(ui.printerJobs, items);
  ui.printerJobs.hidden = !items.length;
}

export function togglePrinterPanel(open, byKeyboard) {
  if (open === undefined) open = ui.printerPanel.hidden;
  const wasOpen = !ui.printerPanel.hidden;
  ui.printerPanel.hidden = !open;
  ui.printerState.setAttribute("aria-expanded", open ? "true" : "false");
  if (open) {
    loadPrinter().then(function () {
      if (!byKeyboard || ui.printerPanel.hidden) return;
      const first = ui.printerPanel.querySelector("[data-retry-job]") || ui.printerPanel.querySelector("[data-printer-close]");
      first.focus();
    });
  } else if (wasOpen && ui.printerPanel.contains(document.activeElement)) {
    focusScan(true);
  }
}

export function wirePrinter() {
  ui.printerState.addEventListener("click", function (e) { togglePrinterPanel(undefined, e.detail === 0); });
  ui.printerPanel.addEventListener("click", function (e) {
    const target = e.target.closest("button");
    if (!target) return;
    if (target.hasAttribute("data-printer-close")) { togglePrinterPanel(false); return; }
    const id = target.dataset.retryJob;
    if (!id) return;
    target.disabled = true;
    api("POST", "/print-jobs/" + encodeURIComponent(id) + "/retry", {}).then(function (job) {
      setStatus(t("job_resent", { job: jobTitle(job || {}).trim() }), "ok");
    }, function (err) {
      fail(t("reprint_failed", { error: err.message }));
    }).then(loadPrinter);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !ui.printerPanel.hidden && !anyDialogOpen()) togglePrinterPanel(false);
  });
  setInterval(function () { if (!document.hidden) loadPrinter(); }, PRINTER_POLL_MS);
}
