/*
 * Scanning. The scan field keeps focus, and a global keydown listener recognises a
 * keyboard-wedge scanner by its speed, so a scan lands in the cart even while the
 * cashier is typing in the search or tendered field, and never fires a hotkey.
 */

import { changeQty, addProduct, setSelectedQty } from "./cart.js";
import { isEditable, root, ui } from "./dom.js";
import { beep, fail, setStatus, unlockAudio } from "./feedback.js";
import { t } from "./i18n.js";
import { ApiError, api } from "./net.js";
import { state } from "./store.js";

// A wedge scanner types faster than this between keys; the page may tune it
// (data-scan-gap-ms) for a slow Bluetooth scanner or a loaded test machine.
const SCAN_GAP_MS = Number(root.dataset.scanGapMs) || 35;
const SCAN_ENTER_GAP_MS = Math.max(100, SCAN_GAP_MS * 3); // some scanners pause before Enter
const SCAN_MIN_CHARS = 6;

const hooks = { beforeScan: null, typedName: null, scansDone: null };

/** What the rest of the till does around a scan: hide the last sale, search a typed name, pay. */
export function setScanHooks(given) { Object.assign(hooks, given); }

/** Drop the control characters some scanners wrap a code in (STX/ETX, GS, CR/LF). */
export function cleanCode(raw) {
  return String(raw || "").replace(/[\x00-\x1f\x7f]/g, "").trim();
}

/** GS1 mod 10, as inventory/barcodes.py checks it: weights 3,1,3,… from the right. */
function gs1Valid(digits) {
  let sum = 0;
  for (let i = digits.length - 2, w = 3; i >= 0; i--, w = 4 - w) sum += Number(digits[i]) * w;
  return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
}

function isRetailCode(code) {
  return /^\d+$/.test(code) && [8, 12, 13].indexOf(code.length) !== -1 && gs1Valid(code);
}

/**
 * Is a fast burst typed into another field really a scan? Digits must be a valid
 * EAN-8/UPC-A/EAN-13, so a fast "200000" in the tendered field stays money; an
 * internal code has no spaces and at least one digit, so a name stays a search.
 */
function looksLikeBarcode(code) {
  if (/^\d+$/.test(code)) return isRetailCode(code);
  return /^[\x21-\x7e]{6,48}$/.test(code) && /\d/.test(code);
}

/**
 * A scanner burst can start a few milliseconds after a typed letter, so the letter
 * looks like its first character ("a8936038000021"). The burst wins: a retail code
 * at the end of letters is the scan, and the letters in front were typed.
 */
function splitTypedPrefix(code) {
  const m = /^(\D+)(\d{8}|\d{12,13})$/.exec(code);
  if (m && isRetailCode(m[2])) return { prefix: m[1], code: m[2] };
  return { prefix: "", code: code };
}

let scanQueue = [];
let scanBusy = false;

export function scansPending() { return scanBusy; }

/** Scans are handled one at a time, in order, so "scan A, scan A" is always qty 2. */
export function enqueueScan(raw, qty, source) {
  const code = cleanCode(raw);
  if (!code) return;
  scanQueue.push({ code: code, qty: qty || 1, source: source });
  if (!scanBusy) pumpScans();
}

function pumpScans() {
  const next = scanQueue.shift();
  if (!next) {
    scanBusy = false;
    if (hooks.scansDone) hooks.scansDone();
    return;
  }
  scanBusy = true;
  handleScan(next).then(pumpScans, function () { pumpScans(); });
}

function handleScan(scan) {
  if (state.pending) {
    fail(t("busy_scan"));
    return Promise.resolve();
  }
  if (hooks.beforeScan) hooks.beforeScan();
  // A code already in the cart needs no round trip: instant, and it works offline.
  const known = state.lines.find(function (l) {
    return l.barcode ? l.barcode === scan.code : l.codes.indexOf(scan.code) !== -1;
  });
  if (known) {
    changeQty(known, scan.qty);
    beep("ok");
    setStatus(known.name + " × " + known.qty, "ok");
    return Promise.resolve();
  }
  return api("GET", "/products/by-barcode/" + encodeURIComponent(scan.code)).then(function (data) {
    const product = (data && data.product) || data;
    if (!product || product.id === undefined) throw new ApiError(500, "bad_response", t("bad_response"));
    // inventory/api.py reports its decoding of the code as "scanned".
    addProduct(product, { qty: scan.qty, scanned: scan.code, scan: product.scanned || product.scan });
  }, function (err) {
    const notACode = err.code === "unknown_barcode" || err.code === "bad_barcode";
    if (scan.source === "typed" && notACode && /\D/.test(scan.code) && hooks.typedName) {
      // Someone typed a name into the scan field: search for it instead.
      hooks.typedName(scan.code);
      setStatus(t("no_code_search", { code: scan.code }), "info");
      return;
    }
    if (err.code === "unknown_barcode") fail(t("unknown_barcode", { code: scan.code }));
    else fail(err.message);
  });
}

function snapshotOf(el) {
  if (!el || !("value" in el) || !isEditable(el)) return { el: el };
  const snap = { el: el, value: el.value };
  try { snap.start = el.selectionStart; snap.end = el.selectionEnd; } catch (e) { /* no selection API */ }
  return snap;
}

// Burst detection. Every key goes through here first (capture phase on window).
const MODIFIERS = ["Shift", "Control", "Alt", "AltGraph", "Meta", "CapsLock", "NumLock", "OS", "Fn"];
const SCANNER_CTRL = ["b", "c", "]", "^", "\\", "_", "@", "d", "j", "m"]; // STX, ETX, GS, RS, FS, US, NUL, EOT, LF, CR

/** The keys seen so far; ``partOfBurst`` tells the hotkeys a key belonged to a scan. */
export const tracker = { chars: [], lastTime: -Infinity, snapshot: null, armed: false, endedAt: -Infinity,
                         partOfBurst: false, lastEnterWasBurst: false, pendingHotkey: null };

function resetTracker() {
  tracker.chars = [];
  tracker.snapshot = null;
  tracker.armed = false;
}

function onKeyCapture(e) {
  unlockAudio();
  tracker.partOfBurst = false;
  if (e.isComposing || e.key === "Process" || e.keyCode === 229) return;
  if (MODIFIERS.indexOf(e.key) !== -1) return;
  const now = e.timeStamp || performance.now();
  const gap = now - tracker.lastTime;
  tracker.lastTime = now;
  const fast = gap < SCAN_GAP_MS;
  if (tracker.pendingHotkey && fast) tracker.pendingHotkey.cancelled = true;
  const key = e.key;
  const terminator = key === "Enter" || key === "Tab" || e.ctrlKey;
  if (!terminator) tracker.endedAt = -Infinity; // any other key ends the CR/LF window

  // Terminator right after a routed scan (CR then LF): swallow, or it would "press" a button.
  if (terminator && now - tracker.endedAt < SCAN_ENTER_GAP_MS && !tracker.chars.length) {
    e.preventDefault();
    e.stopImmediatePropagation();
    tracker.partOfBurst = true;
    tracker.endedAt = now;
    return;
  }

  if (key === "Enter" || key === "Tab") {
    const chars = tracker.chars;
    const snap = tracker.snapshot;
    const isScan = gap < SCAN_ENTER_GAP_MS && chars.length >= SCAN_MIN_CHARS;
    resetTracker();
    tracker.lastEnterWasBurst = isScan;
    if (!isScan) return;
    if (e.target === ui.scan) {
      tracker.partOfBurst = true;
      // Right after a dialog closes the field may hold focus in name only until the
      // till refocuses it (focusScan): the first keys arrive, their text does not. When
      // what landed is only the end of the burst, the burst itself is the scan.
      const burst = chars.join("");
      if (ui.scan.value.length < burst.length && burst.endsWith(ui.scan.value)) {
        ui.scan.value = burst;
      }
      // The scan field handles its own Enter; a Tab terminator must not move focus.
      if (key === "Tab") { e.preventDefault(); submitScanField(); }
      return;
    }
    const burst = splitTypedPrefix(cleanCode(chars.join("")));
    if (!looksLikeBarcode(burst.code)) return;
    tracker.partOfBurst = true;
    e.preventDefault();
    e.stopImmediatePropagation();
    tracker.endedAt = now;
    routeBurst(burst, snap);
    return;
  }

  if (e.ctrlKey && !e.altKey) {
    const lower = key.toLowerCase();
    if ((fast && (tracker.chars.length || tracker.armed)) || lower === "b" || lower === "]") {
      // A scanner's control character (Ctrl+B = STX etc.): never a browser shortcut.
      e.preventDefault();
      e.stopImmediatePropagation();
      tracker.partOfBurst = true;
      if (lower === "b" || !tracker.chars.length) {
        if (!tracker.armed) { tracker.chars = []; tracker.snapshot = snapshotOf(e.target); }
        tracker.armed = true;
      }
      return;
    }
    if (SCANNER_CTRL.indexOf(lower) === -1) resetTracker();
    return;
  }

  const printable = key.length === 1 && !e.metaKey && (!e.altKey || e.getModifierState("AltGraph"));
  if (printable) {
    if (!fast || (!tracker.chars.length && !tracker.armed)) {
      tracker.chars = [key];
      tracker.snapshot = snapshotOf(e.target);
      tracker.armed = false;
    } else {
      if (!tracker.chars.length && !tracker.snapshot) tracker.snapshot = snapshotOf(e.target);
      tracker.chars.push(key);
      tracker.partOfBurst = tracker.chars.length >= 2;
    }
    return;
  }
  if (key === "Backspace" && fast && tracker.chars.length) {
    tracker.chars.pop(); // an input-method editor correcting itself mid-burst
    tracker.partOfBurst = true;
    return;
  }
  if (key === "Unidentified" || key === "Dead") return;
  resetTracker();
}

/**
 * A scan that landed in another field: put that field back, and sell the code. The
 * search field is emptied: the cashier scanned what they were looking for.
 */
function routeBurst(burst, snap) {
  const field = snap && snap.el;
  if (field && "value" in field && isEditable(field) && snap.value !== undefined) {
    field.value = field === ui.search ? "" : snap.value + burst.prefix;
    try {
      if (field !== ui.search && snap.start != null) {
        field.setSelectionRange(snap.start + burst.prefix.length, snap.end + burst.prefix.length);
      }
    } catch (e) { /* type without selection */ }
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  enqueueScan(burst.code, 1, "scanner");
}

function submitScanField() {
  const raw = ui.scan.value;
  ui.scan.value = "";
  const m = /^\s*(\d{1,4})\s*\*\s*(.*)$/.exec(raw);
  if (m && !cleanCode(m[2])) { setSelectedQty(Number(m[1])); return; }
  const code = m ? m[2] : raw;
  if (!cleanCode(code)) return;
  enqueueScan(code, m ? Math.max(1, Number(m[1])) : 1, tracker.lastEnterWasBurst ? "scanner" : "typed");
}

export function wireScanning() {
  ui.scan.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing) return;
    e.preventDefault();
    submitScanField();
  });
  window.addEventListener("keydown", onKeyCapture, true);
  // On a tablet, a focused input opens the on-screen keyboard over the cart; the scan
  // field therefore asks for none, and this button brings it up for typing a code.
  ui.scanKeyboard.addEventListener("click", function () {
    const on = ui.scan.inputMode === "none";
    ui.scan.inputMode = on ? "text" : "none";
    ui.scanKeyboard.setAttribute("aria-pressed", on ? "true" : "false");
    ui.scan.blur();
    ui.scan.focus();
  });
}
