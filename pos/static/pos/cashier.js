/*
 * Cashier screen of the OCOP booth: scan, pay, next customer.
 *
 * Plain JS, no build step. It talks to the booth's JSON API (/api/v1, see
 * docs/contract.md) with the login session and the CSRF token from the page.
 * Design choices, and why:
 * - The scan field keeps focus, and a global keydown listener recognises a
 *   keyboard-wedge scanner by its speed, so a scan lands in the cart even while the
 *   cashier is typing in the search or tendered field, and never fires a hotkey.
 * - The cart and the sale id live in localStorage: a reload, a crash or a power cut
 *   loses nothing, and a sale whose answer was lost is retried with the SAME id, which
 *   the server treats as the same sale (no double stock move, no double payment).
 * - Money is integer đồng throughout.
 */
(function () {
  "use strict";

  var root = document.getElementById("pos-app");
  if (!root) return;

  var API = root.dataset.api || "/api/v1";
  var RECEIPT_BASE = root.dataset.receiptBase || "/sales/";
  var STORAGE_KEY = "ocop.pos.cart.v1";
  // A wedge scanner types faster than this between keys; the page may tune it
  // (data-scan-gap-ms) for a slow Bluetooth scanner or a loaded test machine.
  var SCAN_GAP_MS = Number(root.dataset.scanGapMs) || 35;
  var SCAN_ENTER_GAP_MS = Math.max(100, SCAN_GAP_MS * 3); // some scanners pause before Enter
  var SCAN_MIN_CHARS = 6;
  var HOTKEY_DELAY_MS = 60;    // "+"/"-" wait this long to be sure they do not start a scan
  var MAX_QTY = 9999;
  var MAX_TENDER = 50000000;    // a misread barcode in the tendered field is not 8 tỉ đồng
  var RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 30000];
  var SEARCH_DEBOUNCE_MS = 200;
  var SEARCH_LIMIT = 8;

  function $(id) { return document.getElementById(id); }
  var ui = {
    scan: $("scan"), scanKeyboard: $("scan-keyboard"),
    search: $("search"), results: $("search-results"),
    cart: $("cart"), cartEmpty: $("cart-empty"), total: $("total"), itemCount: $("item-count"),
    pay: $("pay"), clearCart: $("clear-cart"), status: $("status"), shiftInfo: $("shift-info"),
    saleDone: $("sale-done"), saleNumber: $("sale-number"), saleChange: $("sale-change"),
    receipt: $("receipt-preview"), reprint: $("reprint"), saleDoneClose: $("sale-done-close"),
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
    closeShift: $("close-shift"), closeDialog: $("close-shift-dialog"), closeTitle: $("close-shift-title"), closeCount: $("close-count"),
    closeShiftInfo: $("close-shift-info"), countedTotal: $("counted-total"), closeNote: $("close-note"),
    closeNoteRequired: $("close-note-required"), closeApproval: $("close-approval"),
    approverUsername: $("approver-username"), approverPassword: $("approver-password"),
    closeError: $("close-shift-error"), closeConfirm: $("close-shift-confirm"),
    zreport: $("zreport"), zreportBody: $("zreport-body"), zreportMessage: $("zreport-message"),
    zreportPrint: $("zreport-print"), zreportPdf: $("zreport-pdf")
  };

  // ---------------------------------------------------------------- messages

  // The page renders every message this script shows, already translated, as JSON
  // (pos/templates/pos/cashier.html, #i18n): Vietnamese source, English with ?lang=en.
  var MESSAGES = (function () {
    var node = document.getElementById("i18n");
    try { return (node && JSON.parse(node.textContent)) || {}; } catch (e) { return {}; }
  })();

  /** t("removed", {name: "Mật ong"}): the page's message, with %(name)s placeholders filled. */
  function t(key, vars) {
    var text = Object.prototype.hasOwnProperty.call(MESSAGES, key) ? String(MESSAGES[key]) : key;
    if (!vars) return text;
    return text.replace(/%\((\w+)\)s/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m;
    });
  }

  // Dates and times in the page's language; the clock is always the booth's (below).
  var LOCALE = /^en\b/i.test(document.documentElement.lang || "") ? "en-GB" : "vi-VN";

  var METHOD_LABELS = { cash: t("m_cash"), transfer: t("m_transfer"), card: t("m_card") };

  // ---------------------------------------------------------------- money

  /** 125000 -> "125.000 ₫", the same as pos.money.format_vnd, independent of the browser's ICU. */
  function formatVnd(amount) {
    var n = Math.trunc(Number(amount) || 0);
    var digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (n < 0 ? "-" : "") + digits + " ₫";
  }

  /** A difference: "−100.000 ₫", "+50.000 ₫", "0 ₫" (a true minus sign, readable from afar). */
  function formatSigned(amount) {
    var n = Math.trunc(Number(amount) || 0);
    if (n < 0) return "\u2212" + formatVnd(-n);
    return (n > 0 ? "+" : "") + formatVnd(n);
  }

  // ---------------------------------------------------------------- time

  // The booth is in Thanh Hóa: show its clock, whatever zone the tablet was set to.
  var TIME_ZONE = "Asia/Ho_Chi_Minh";

  /** The server's ISO stamps are UTC; one without an offset is UTC too, not local time. */
  function parseTime(iso) {
    if (!iso) return null;
    var text = String(iso);
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(text)) text += "Z";
    var d = new Date(text);
    return isNaN(d) ? null : d;
  }

  /** "08:15" by default; pass Intl options for more (always in Asia/Ho_Chi_Minh). */
  function formatTime(iso, options) {
    var d = parseTime(iso);
    if (!d) return "";
    var opts = Object.assign({}, options || { hour: "2-digit", minute: "2-digit" }, { timeZone: TIME_ZONE });
    try { return d.toLocaleString(LOCALE, opts); } catch (e) { return d.toISOString(); }
  }

  var DATE_TIME = { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" };

  function isToday(iso) {
    var d = parseTime(iso);
    if (!d) return false;
    var day = { day: "2-digit", month: "2-digit", year: "numeric", timeZone: TIME_ZONE };
    return d.toLocaleDateString(LOCALE, day) === new Date().toLocaleDateString(LOCALE, day);
  }

  /** What cashiers type: "200000", "200.000", "200k", "1,5tr". Null when it is not money. */
  function parseMoney(text) {
    var s = String(text == null ? "" : text).trim().toLowerCase().replace(/[\s₫]|đ$|vnd$/g, "");
    if (!s) return null;
    var unit = 1;
    if (/k$/.test(s)) { unit = 1000; s = s.slice(0, -1); }
    else if (/tr$/.test(s)) { unit = 1000000; s = s.slice(0, -2); }
    var n;
    if (unit > 1 && /^\d+([.,]\d{1,3})?$/.test(s)) {
      var parts = s.split(/[.,]/);
      var frac = parts[1] || "";
      n = Number(parts[0]) * unit + Math.round(Number("0." + (frac || "0")) * unit);
    } else if (/^\d+$/.test(s) || /^\d{1,3}([.,]\d{3})+$/.test(s)) {
      n = Number(s.replace(/[.,]/g, "")) * unit;
    } else {
      return null;
    }
    return Number.isSafeInteger(n) ? n : null;
  }

  // ---------------------------------------------------------------- ids, storage

  /** crypto.randomUUID only exists on https/localhost; a tablet on the shop LAN uses http. */
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try { return window.crypto.randomUUID(); } catch (e) { /* insecure context */ }
    }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function newState() {
    return { v: 1, saleId: uuid(), lines: [], payments: [], selected: null, pending: false,
             request: null, attempts: 0, expectedChange: 0 };
  }

  function loadState() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (saved && saved.v === 1 && typeof saved.saleId === "string" && Array.isArray(saved.lines)
          && Array.isArray(saved.payments)) {
        return saved;
      }
    } catch (e) { /* corrupt or blocked storage: start clean */ }
    return null;
  }

  function saveState() {
    try { localStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* full or blocked */ }
  }

  var state = loadState() || newState();

  // ---------------------------------------------------------------- API

  function ApiError(status, code, message, field) {
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.message = message;
    this.field = field;
    // No answer, or the server failed: the request may or may not have been applied.
    this.retryable = status === 0 || status === 408 || status === 429 || status >= 500;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function defaultMessage(status) {
    if (status === 401) return t("err_401");
    if (status === 403) return t("err_403");
    if (status === 404) return t("err_404");
    if (status >= 500) return t("err_500");
    return t("err_bad_request", { status: status });
  }

  function api(method, path, body, options) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var init = { method: method, credentials: "same-origin", headers: headers, cache: "no-store" };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (options && options.signal) init.signal = options.signal;
    return fetch(API + path, init).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        var isJson = (resp.headers.get("Content-Type") || "").indexOf("json") !== -1;
        if (text && isJson) {
          try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        if (!resp.ok) {
          var err = (data && data.error) || {};
          throw new ApiError(resp.status, err.code || "http_" + resp.status,
                             err.message || defaultMessage(resp.status), err.field);
        }
        if (text && !isJson) {
          // An HTML page where JSON was expected: the session ended and we got the login page.
          throw new ApiError(401, "unauthorized", defaultMessage(401));
        }
        return data;
      }, function () {
        throw new ApiError(0, "network", t("err_network"));
      });
    }, function (e) {
      if (e && e.name === "AbortError") throw e;
      throw new ApiError(0, "network", t("err_network"));
    });
  }

  // ---------------------------------------------------------------- feedback

  var statusTimer = null;

  /** One message line for the cashier; errors stay until the next message. */
  function setStatus(text, kind, action) {
    clearTimeout(statusTimer);
    ui.status.replaceChildren();
    ui.status.className = "pos-status is-" + (kind || "info");
    ui.status.dataset.kind = kind || "info";
    var span = document.createElement("span");
    span.textContent = text;
    ui.status.appendChild(span);
    if (action) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.id = action.id;
      btn.className = "pos-secondary";
      btn.textContent = action.label;
      btn.addEventListener("click", action.run);
      ui.status.appendChild(btn);
    }
    if (kind === "info" || kind === "ok") {
      statusTimer = setTimeout(function () { ui.status.replaceChildren(); ui.status.className = "pos-status"; }, 6000);
    }
  }

  var audio = null;
  function unlockAudio() {
    // Browsers only allow sound after a gesture; create the context on the first key or touch.
    if (audio) return;
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) { try { audio = new Ctx(); } catch (e) { audio = null; } }
  }
  /** A cashier looks at the goods, not the screen: a low buzz says "that scan failed". */
  function beep(kind) {
    if (!audio || audio.state !== "running") return;
    try {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = kind === "error" ? 220 : 1400;
      gain.gain.value = 0.06;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (kind === "error" ? 0.35 : 0.06));
    } catch (e) { /* sound is a nicety */ }
  }

  function fail(message) {
    setStatus(message, "error");
    beep("error");
  }

  // ---------------------------------------------------------------- cart

  function cartTotal() {
    return state.lines.reduce(function (sum, l) { return sum + l.unit_price * l.qty; }, 0);
  }

  function findLine(key) {
    for (var i = 0; i < state.lines.length; i++) if (state.lines[i].key === key) return state.lines[i];
    return null;
  }

  function barcodeStrings(product) {
    return (product.barcodes || []).map(function (b) { return typeof b === "string" ? b : b && b.code; })
      .filter(Boolean);
  }

  /** Price-embedded in-store code (24IIIIPPPPPPC): the label's price, not the catalog's. */
  function embeddedPrice(code, scan) {
    if (scan && typeof scan.embedded_price === "number") return scan.embedded_price;
    if (/^24\d{11}$/.test(code)) return Number(code.slice(6, 12));
    return null;
  }

  function addProduct(product, options) {
    var qty = options.qty || 1;
    var scanned = options.scanned || null;
    var labelPrice = scanned ? embeddedPrice(scanned, options.scan) : null;
    // A priced label is its own line (its own price); everything else groups by product.
    var key = labelPrice !== null ? "b:" + scanned : "p:" + product.id;
    var line = findLine(key);
    if (line) {
      line.qty = Math.min(MAX_QTY, line.qty + qty);
    } else {
      line = {
        key: key, product_id: product.id, barcode: labelPrice !== null ? scanned : null,
        name: product.name, code: product.code || "", unit: product.unit || "",
        unit_price: labelPrice !== null ? labelPrice : product.price, qty: Math.min(MAX_QTY, qty),
        on_hand: typeof product.on_hand === "number" ? product.on_hand : null,
        codes: barcodeStrings(product)
      };
      state.lines.push(line);
    }
    if (typeof product.on_hand === "number") line.on_hand = product.on_hand;
    if (scanned && line.codes.indexOf(scanned) === -1) line.codes.push(scanned);
    state.selected = key;
    renderCart(key);
    beep("ok");
    setStatus(line.name + " — " + formatVnd(line.unit_price) + (line.qty > 1 ? " × " + line.qty : ""), "ok");
  }

  function changeQty(line, delta) {
    if (state.pending) return;
    line.qty = Math.max(1, Math.min(MAX_QTY, line.qty + delta));
    state.selected = line.key;
    renderCart(line.key);
  }

  function setSelectedQty(qty) {
    var line = findLine(state.selected);
    if (!line || state.pending) { fail(t("select_line_first")); return; }
    line.qty = Math.max(1, Math.min(MAX_QTY, qty));
    renderCart(line.key);
  }

  function removeLine(key) {
    if (state.pending) return;
    var i = state.lines.findIndex(function (l) { return l.key === key; });
    if (i === -1) return;
    var removed = state.lines.splice(i, 1)[0];
    var next = state.lines[Math.min(i, state.lines.length - 1)];
    state.selected = next ? next.key : null;
    renderCart();
    setStatus(t("removed", { name: removed.name }), "info");
  }

  function moveSelection(step) {
    if (!state.lines.length) return;
    var i = state.lines.findIndex(function (l) { return l.key === state.selected; });
    i = i === -1 ? (step > 0 ? 0 : state.lines.length - 1)
                 : Math.max(0, Math.min(state.lines.length - 1, i + step));
    state.selected = state.lines[i].key;
    renderCart();
  }

  var clearArmedUntil = 0;
  /** F8 twice (or the button twice) within 3 s: an accidental press never empties a cart. */
  function requestClear() {
    if (!state.lines.length || state.pending) return;
    var now = Date.now();
    if (now < clearArmedUntil) {
      clearArmedUntil = 0;
      state = newState();
      renderCart();
      setStatus(t("cleared"), "info");
      return;
    }
    clearArmedUntil = now + 3000;
    setStatus(t("clear_confirm"), "warn");
  }

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    return td;
  }

  function button(text, action, label) {
    var b = document.createElement("button");
    b.type = "button";
    b.dataset.action = action;
    b.textContent = text;
    b.tabIndex = -1; // the scan field keeps focus; keyboard users have +, -, Delete
    if (label) b.setAttribute("aria-label", label);
    return b;
  }

  function renderCart(flashKey) {
    var rows = state.lines.map(function (line, i) {
      var tr = document.createElement("tr");
      tr.dataset.key = line.key;
      tr.dataset.productId = line.product_id;
      if (line.key === state.selected) { tr.classList.add("is-selected"); tr.setAttribute("aria-selected", "true"); }
      if (line.on_hand !== null && line.qty > line.on_hand) {
        tr.classList.add("is-short");
        tr.title = t("short_stock", { n: line.on_hand });
      }
      if (line.key === flashKey) tr.classList.add("is-flash");
      tr.appendChild(cell(String(i + 1), "col-no"));
      var name = cell(undefined, "col-name");
      var strong = document.createElement("span");
      strong.className = "line-name";
      strong.textContent = line.name;
      name.appendChild(strong);
      var meta = document.createElement("small");
      meta.textContent = [line.code, line.barcode ? t("label_price", { code: line.barcode }) : "",
                          line.on_hand !== null && line.qty > line.on_hand ? t("stock_left", { n: line.on_hand }) : ""]
        .filter(Boolean).join(" · ");
      name.appendChild(meta);
      tr.appendChild(name);
      var qty = cell(undefined, "col-qty");
      qty.appendChild(button("−", "dec", t("dec_qty")));
      var q = document.createElement("span");
      q.className = "qty";
      q.textContent = String(line.qty);
      qty.appendChild(q);
      qty.appendChild(button("+", "inc", t("inc_qty")));
      tr.appendChild(qty);
      tr.appendChild(cell(formatVnd(line.unit_price), "col-money money"));
      tr.appendChild(cell(formatVnd(line.unit_price * line.qty), "col-money money line-amount"));
      var rm = cell(undefined, "col-remove");
      rm.appendChild(button("✕", "remove", t("remove_line", { name: line.name })));
      tr.appendChild(rm);
      return tr;
    });
    var tbody = ui.cart.tBodies[0];
    tbody.replaceChildren.apply(tbody, rows);
    var count = state.lines.reduce(function (s, l) { return s + l.qty; }, 0);
    ui.cartEmpty.hidden = state.lines.length > 0;
    ui.total.textContent = formatVnd(cartTotal());
    ui.itemCount.textContent = count ? t("item_count", { n: count }) : "";
    ui.pay.disabled = !state.lines.length || state.pending;
    ui.clearCart.disabled = !state.lines.length || state.pending;
    root.classList.toggle("is-locked", !!state.pending);
    renderShiftActions();
    var selected = tbody.querySelector("tr.is-selected");
    if (selected && selected.scrollIntoView) selected.scrollIntoView({ block: "nearest" });
    if (ui.payDialog.open) renderPayment();
    saveState();
  }

  // ---------------------------------------------------------------- scanning

  /** Drop the control characters some scanners wrap a code in (STX/ETX, GS, CR/LF). */
  function cleanCode(raw) {
    return String(raw || "").replace(/[\x00-\x1f\x7f]/g, "").trim();
  }

  /** GS1 mod 10, as inventory/barcodes.py checks it: weights 3,1,3,… from the right. */
  function gs1Valid(digits) {
    var sum = 0;
    for (var i = digits.length - 2, w = 3; i >= 0; i--, w = 4 - w) sum += Number(digits[i]) * w;
    return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
  }

  /**
   * Is a fast burst typed into another field really a scan? Digits must be a valid
   * EAN-8/UPC-A/EAN-13, so a fast "200000" in the tendered field stays money; an
   * internal code has no spaces and at least one digit, so a name stays a search.
   */
  function looksLikeBarcode(code) {
    if (/^\d+$/.test(code)) return [8, 12, 13].indexOf(code.length) !== -1 && gs1Valid(code);
    return /^[\x21-\x7e]{6,48}$/.test(code) && /\d/.test(code);
  }

  var scanQueue = [];
  var scanBusy = false;
  var payAfterScans = false; // F4 pressed while scans were still being looked up

  /** Scans are handled one at a time, in order, so "scan A, scan A" is always qty 2. */
  function enqueueScan(raw, qty, source) {
    var code = cleanCode(raw);
    if (!code) return;
    scanQueue.push({ code: code, qty: qty || 1, source: source });
    if (!scanBusy) pumpScans();
  }

  function pumpScans() {
    var next = scanQueue.shift();
    if (!next) {
      scanBusy = false;
      if (payAfterScans) { payAfterScans = false; openPayment(); }
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
    hideSaleDone();
    // A code already in the cart needs no round trip: instant, and it works offline.
    var known = state.lines.find(function (l) {
      return l.barcode ? l.barcode === scan.code : l.codes.indexOf(scan.code) !== -1;
    });
    if (known) {
      changeQty(known, scan.qty);
      beep("ok");
      setStatus(known.name + " × " + known.qty, "ok");
      return Promise.resolve();
    }
    return api("GET", "/products/by-barcode/" + encodeURIComponent(scan.code)).then(function (data) {
      var product = (data && data.product) || data;
      if (!product || product.id === undefined) throw new ApiError(500, "bad_response", t("bad_response"));
      // inventory/api.py reports its decoding of the code as "scanned".
      addProduct(product, { qty: scan.qty, scanned: scan.code, scan: product.scanned || product.scan });
    }, function (err) {
      var notACode = err.code === "unknown_barcode" || err.code === "bad_barcode";
      if (scan.source === "typed" && notACode && /\D/.test(scan.code)) {
        // Someone typed a name into the scan field: search for it instead.
        ui.search.value = scan.code;
        ui.search.focus();
        runSearch(scan.code);
        setStatus(t("no_code_search", { code: scan.code }), "info");
        return;
      }
      if (err.code === "unknown_barcode") fail(t("unknown_barcode", { code: scan.code }));
      else fail(err.message);
    });
  }

  function snapshotOf(el) {
    if (!el || !("value" in el) || !isEditable(el)) return { el: el };
    var snap = { el: el, value: el.value };
    try { snap.start = el.selectionStart; snap.end = el.selectionEnd; } catch (e) { /* no selection API */ }
    return snap;
  }

  function isEditable(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName !== "INPUT") return false;
    return ["button", "submit", "reset", "checkbox", "radio", "range", "color", "file", "image"]
      .indexOf(el.type) === -1;
  }

  // Burst detection. Every key goes through here first (capture phase on window).
  var MODIFIERS = ["Shift", "Control", "Alt", "AltGraph", "Meta", "CapsLock", "NumLock", "OS", "Fn"];
  var SCANNER_CTRL = ["b", "c", "]", "^", "\\", "_", "@", "d", "j", "m"]; // STX, ETX, GS, RS, FS, US, NUL, EOT, LF, CR
  var tracker = { chars: [], lastTime: -Infinity, snapshot: null, armed: false, endedAt: -Infinity,
                  partOfBurst: false, lastEnterWasBurst: false };
  var pendingHotkey = null;

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
    var now = e.timeStamp || performance.now();
    var gap = now - tracker.lastTime;
    tracker.lastTime = now;
    var fast = gap < SCAN_GAP_MS;
    if (pendingHotkey && fast) pendingHotkey.cancelled = true;
    var key = e.key;
    var terminator = key === "Enter" || key === "Tab" || e.ctrlKey;
    if (!terminator) tracker.endedAt = -Infinity; // any other key ends the CR/LF window

    // Terminator right after a routed scan (CR then LF): swallow, or it would "press" a button.
    if (terminator && now - tracker.endedAt < SCAN_ENTER_GAP_MS
        && !tracker.chars.length) {
      e.preventDefault();
      e.stopImmediatePropagation();
      tracker.partOfBurst = true;
      tracker.endedAt = now;
      return;
    }

    if (key === "Enter" || key === "Tab") {
      var chars = tracker.chars;
      var snap = tracker.snapshot;
      var isScan = gap < SCAN_ENTER_GAP_MS && chars.length >= SCAN_MIN_CHARS;
      resetTracker();
      tracker.lastEnterWasBurst = isScan;
      if (!isScan) return;
      if (e.target === ui.scan) {
        tracker.partOfBurst = true;
        // The scan field handles its own Enter; a Tab terminator must not move focus.
        if (key === "Tab") { e.preventDefault(); submitScanField(); }
        return;
      }
      if (!looksLikeBarcode(cleanCode(chars.join("")))) return;
      tracker.partOfBurst = true;
      e.preventDefault();
      e.stopImmediatePropagation();
      tracker.endedAt = now;
      routeBurst(chars.join(""), snap);
      return;
    }

    if (e.ctrlKey && !e.altKey) {
      var lower = key.toLowerCase();
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

    var printable = key.length === 1 && !e.metaKey && (!e.altKey || e.getModifierState("AltGraph"));
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

  /** A scan that landed in another field: put that field back, and sell the code. */
  function routeBurst(code, snap) {
    var el = snap && snap.el;
    if (el && "value" in el && isEditable(el) && snap.value !== undefined) {
      el.value = snap.value;
      try { if (snap.start != null) el.setSelectionRange(snap.start, snap.end); } catch (e) { /* type without selection */ }
      el.dispatchEvent(new Event("input", { bubbles: true }));
    }
    enqueueScan(code, 1, "scanner");
  }

  function submitScanField() {
    var raw = ui.scan.value;
    ui.scan.value = "";
    var m = /^\s*(\d{1,4})\s*\*\s*(.*)$/.exec(raw);
    if (m && !cleanCode(m[2])) { setSelectedQty(Number(m[1])); return; }
    var code = m ? m[2] : raw;
    if (!cleanCode(code)) return;
    enqueueScan(code, m ? Math.max(1, Number(m[1])) : 1, tracker.lastEnterWasBurst ? "scanner" : "typed");
  }

  ui.scan.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing) return;
    e.preventDefault();
    submitScanField();
  });

  window.addEventListener("keydown", onKeyCapture, true);

  // ---------------------------------------------------------------- hotkeys

  function anyDialogOpen() {
    return !!document.querySelector("dialog[open]");
  }

  function onHotkey(e) {
    if (e.defaultPrevented || e.isComposing || tracker.partOfBurst) return;
    var key = e.key;
    var dialogOpen = anyDialogOpen();
    if (key === "F2" || key === "F4" || key === "F8" || key === "F9") {
      e.preventDefault();
      if (dialogOpen) return;
      if (key === "F2") { ui.search.focus(); ui.search.select(); }
      if (key === "F4") openPayment();
      if (key === "F8") requestClear();
      if (key === "F9") openCloseShift();
      return;
    }
    if (dialogOpen || e.ctrlKey || e.altKey || e.metaKey) return;
    var target = e.target;
    var onEmptyScan = target === ui.scan && ui.scan.value === "";
    if (!onEmptyScan && isEditable(target)) return;
    if (key === "+" || key === "-") {
      e.preventDefault(); // keep the character out of the scan field
      var step = key === "+" ? 1 : -1;
      var pending = { cancelled: false };
      pendingHotkey = pending;
      // Wait: if more keys follow at scanner speed, this was the first character of a scan.
      setTimeout(function () {
        if (pendingHotkey === pending) pendingHotkey = null;
        if (pending.cancelled) return;
        var line = findLine(state.selected);
        if (line) changeQty(line, step);
      }, HOTKEY_DELAY_MS);
    } else if (key === "Delete") {
      e.preventDefault();
      if (state.selected) removeLine(state.selected);
    } else if (key === "ArrowUp" || key === "ArrowDown") {
      e.preventDefault();
      moveSelection(key === "ArrowUp" ? -1 : 1);
    }
  }
  document.addEventListener("keydown", onHotkey);

  // ---------------------------------------------------------------- focus

  function focusScan(hard) {
    if (anyDialogOpen()) return;
    var active = document.activeElement;
    if (active === ui.search && !ui.results.hidden) return;
    // After a modal dialog closes, Chromium restores focus to the scan field in name only:
    // typed text goes nowhere until it is blurred and focused again.
    if (hard && active === ui.scan) ui.scan.blur();
    if (hard || active !== ui.scan) ui.scan.focus({ preventScroll: true });
  }

  document.addEventListener("focusout", function () {
    setTimeout(function () {
      var a = document.activeElement;
      if (!a || a === document.body || a === document.documentElement) focusScan();
    }, 0);
  });
  document.addEventListener("click", function (e) {
    if (isEditable(e.target) || (e.target.closest && e.target.closest("dialog"))) return;
    // A key press (detail 0) on the printer indicator or its panel keeps focus there.
    if (e.detail === 0 && e.target.closest && e.target.closest(".pos-printer")) return;
    setTimeout(focusScan, 0);
  });
  window.addEventListener("focus", function () { setTimeout(focusScan, 0); });
  document.addEventListener("pointerdown", unlockAudio);

  // On a tablet, a focused input opens the on-screen keyboard over the cart; the scan
  // field therefore asks for none, and this button brings it up for typing a code.
  ui.scanKeyboard.addEventListener("click", function () {
    var on = ui.scan.inputMode === "none";
    ui.scan.inputMode = on ? "text" : "none";
    ui.scanKeyboard.setAttribute("aria-pressed", on ? "true" : "false");
    ui.scan.blur();
    ui.scan.focus();
  });

  // ---------------------------------------------------------------- cart clicks

  ui.cart.tBodies[0].addEventListener("click", function (e) {
    var tr = e.target.closest("tr");
    if (!tr) return;
    var line = findLine(tr.dataset.key);
    if (!line) return;
    var action = e.target.closest("button") && e.target.closest("button").dataset.action;
    if (action === "inc") changeQty(line, 1);
    else if (action === "dec") changeQty(line, -1);
    else if (action === "remove") removeLine(line.key);
    else { state.selected = line.key; renderCart(); }
  });
  ui.pay.addEventListener("click", openPayment);
  ui.clearCart.addEventListener("click", requestClear);

  // ---------------------------------------------------------------- search

  var searchTimer = null;
  var searchAbort = null;
  var searchItems = [];
  var searchIndex = -1;
  var pickWhenLoaded = false; // Enter was pressed before the results for this query came back

  function closeResults() {
    ui.results.hidden = true;
    ui.results.replaceChildren();
    ui.search.parentElement.setAttribute("aria-expanded", "false");
    ui.search.removeAttribute("aria-activedescendant");
    searchItems = [];
    searchIndex = -1;
  }

  function renderResults(message) {
    var items = searchItems.map(function (p, i) {
      var li = document.createElement("li");
      li.id = "search-option-" + i;
      li.setAttribute("role", "option");
      li.dataset.index = String(i);
      li.setAttribute("aria-selected", i === searchIndex ? "true" : "false");
      var name = document.createElement("span");
      name.className = "result-name";
      name.textContent = p.name;
      var price = document.createElement("span");
      price.className = "result-price money";
      price.textContent = formatVnd(p.price);
      var meta = document.createElement("small");
      meta.textContent = [p.code, p.producer && p.producer.name,
                          typeof p.on_hand === "number" ? t("search_left", { n: p.on_hand }) : ""].filter(Boolean).join(" · ");
      li.append(name, price, meta);
      return li;
    });
    if (message || !items.length) {
      var li = document.createElement("li");
      li.className = "result-empty";
      li.textContent = message || t("search_none");
      items.push(li);
    }
    ui.results.replaceChildren.apply(ui.results, items);
    ui.results.hidden = false;
    ui.search.parentElement.setAttribute("aria-expanded", "true");
    if (searchIndex >= 0) {
      ui.search.setAttribute("aria-activedescendant", "search-option-" + searchIndex);
      var active = ui.results.children[searchIndex];
      if (active && active.scrollIntoView) active.scrollIntoView({ block: "nearest" });
    }
  }

  function runSearch(q) {
    clearTimeout(searchTimer);
    searchTimer = null;
    if (searchAbort) searchAbort.abort();
    searchAbort = new AbortController();
    var path = "/products?q=" + encodeURIComponent(q) + "&limit=" + SEARCH_LIMIT;
    api("GET", path, undefined, { signal: searchAbort.signal }).then(function (data) {
      if (ui.search.value.trim() !== q) return; // a newer query is on its way
      searchItems = Array.isArray(data) ? data : (data && (data.products || data.items || data.results)) || [];
      searchIndex = searchItems.length ? 0 : -1;
      var pick = pickWhenLoaded;
      pickWhenLoaded = false;
      if (pick && searchItems.length) { pickResult(0); return; }
      renderResults();
    }, function (err) {
      if (err && err.name === "AbortError") return;
      searchItems = [];
      searchIndex = -1;
      renderResults(err.message);
    });
  }

  function pickResult(i) {
    var product = searchItems[i];
    if (!product) return;
    ui.search.value = "";
    closeResults();
    if (state.pending) { fail(t("busy_pick")); return; }
    hideSaleDone();
    addProduct(product, { qty: 1 });
    focusScan();
  }

  ui.search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = null;
    pickWhenLoaded = false;
    var q = ui.search.value.trim();
    if (!q) { closeResults(); return; }
    searchTimer = setTimeout(function () { searchTimer = null; runSearch(q); }, SEARCH_DEBOUNCE_MS);
  });

  ui.search.addEventListener("keydown", function (e) {
    if (e.isComposing) return;
    var n = searchItems.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!n) return;
      searchIndex = (searchIndex + (e.key === "ArrowDown" ? 1 : -1) + n) % n;
      renderResults();
    } else if (e.key === "Enter") {
      e.preventDefault();
      var q = ui.search.value.trim();
      if (/^\d{8,14}$/.test(q)) {
        // A barcode typed (or scanned slowly) into the search box: sell it directly.
        ui.search.value = "";
        closeResults();
        enqueueScan(q, 1, "typed");
        focusScan();
      } else if (n && !searchTimer) {
        pickResult(searchIndex >= 0 ? searchIndex : 0);
      } else if (q) {
        // Typed faster than the debounce: search now and take the first match.
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
    var li = e.target.closest("li[data-index]");
    if (li) pickResult(Number(li.dataset.index));
  });

  // ---------------------------------------------------------------- shift

  var currentShift; // undefined: not known yet; null: none open
  var afterShiftOpened = null;

  /** "Ca mở lúc 08:15 · quỹ đầu ca 500.000 ₫": the time and the float, never the shift's UUID. */
  function shiftLabel(shift) {
    var label;
    if (parseTime(shift.opened_at)) {
      label = t("shift_opened_at", { time: formatTime(shift.opened_at)
        + (isToday(shift.opened_at) ? "" : " " + formatTime(shift.opened_at, { day: "2-digit", month: "2-digit" })) });
    } else {
      label = t("shift_open");
    }
    if (typeof shift.opening_float === "number") label += " · " + t("shift_float", { amount: formatVnd(shift.opening_float) });
    return label;
  }

  function renderShift() {
    if (currentShift) {
      ui.shiftInfo.textContent = shiftLabel(currentShift);
      ui.shiftInfo.title = parseTime(currentShift.opened_at)
        ? t("shift_title", { time: formatTime(currentShift.opened_at, DATE_TIME) })
          + (currentShift.cashier ? " · " + t("cashier_is", { name: currentShift.cashier }) : "")
        : "";
      ui.shiftInfo.classList.remove("is-warn");
    } else if (currentShift === null) {
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
    ui.closeShift.disabled = !currentShift || !!state.pending;
    ui.cashMoveOpen.disabled = !currentShift || !!state.pending;
  }

  function loadShift() {
    api("GET", "/shifts/current").then(function (data) {
      currentShift = data && data.shift ? data.shift : null;
      renderShift();
      if (!currentShift) openShiftDialog();
    }, function (err) {
      setStatus(t("shift_check_failed", { error: err.message }), "warn");
    });
  }

  function openShiftDialog(message) {
    if (ui.shiftDialog.open) return;
    if (ui.payDialog.open) ui.payDialog.close();
    ui.openShiftError.textContent = message || "";
    ui.openingFloatPreview.textContent = "";
    ui.shiftDialog.showModal();
    ui.openingFloat.focus();
    ui.openingFloat.select();
  }

  function confirmOpenShift() {
    var text = ui.openingFloat.value.trim();
    var amount = text ? parseMoney(text) : 0;
    if (amount === null || amount < 0) {
      ui.openShiftError.textContent = t("bad_float");
      ui.openingFloat.focus();
      return;
    }
    ui.openShiftConfirm.disabled = true;
    api("POST", "/shifts", { opening_float: amount }).then(function (data) {
      currentShift = (data && data.shift) || data || { id: "?" };
      renderShift();
      var next = afterShiftOpened; // read first: closing the dialog forgets it
      afterShiftOpened = null;
      ui.shiftDialog.close();
      setStatus(t("shift_opened", { amount: formatVnd(amount) }), "ok");
      if (next) next();
    }, function (err) {
      ui.openShiftError.textContent = err.message;
      setStatus(err.message, "error");
      ui.openingFloat.focus();
    }).then(function () { ui.openShiftConfirm.disabled = false; });
  }

  ui.openShiftConfirm.addEventListener("click", confirmOpenShift);
  ui.openingFloat.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); confirmOpenShift(); }
  });
  ui.openingFloat.addEventListener("input", function () {
    var v = parseMoney(ui.openingFloat.value);
    ui.openingFloatPreview.textContent = v === null ? "" : "= " + formatVnd(v);
  });
  ui.shiftInfo.addEventListener("click", function () { if (currentShift === null) openShiftDialog(); });

  // ---------------------------------------------------------------- printer

  var PRINTER_POLL_MS = 10000;
  var printerStatus = null; // the last GET /printer/status, or {state: "unknown", error}
  var printerSeq = 0;

  function loadPrinter() {
    var seq = ++printerSeq;
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

  function printerLabel(s, failed) {
    if (s.state === "none") return t("pr_none");
    if (s.state === "error") return t("pr_error", { n: failed.length });
    if (s.state === "busy") return t("pr_busy", { n: s.pending || 0 });
    if (s.state === "ok") return t("pr_ok");
    return t("pr_unknown");
  }

  function jobTitle(job) {
    if (job.kind === "zreport") return t("job_zreport");
    return t(job.reprint ? "job_reprint" : "job_receipt", { number: job.number || "" });
  }

  function renderPrinter() {
    var s = printerStatus || { state: "unknown", failed: [], pending: 0 };
    var failed = Array.isArray(s.failed) ? s.failed : [];
    var state = ["none", "ok", "busy", "error"].indexOf(s.state) === -1 ? "unknown" : s.state;
    ui.printerState.textContent = t("printer", { state: printerLabel(s, failed) });
    ui.printerState.dataset.state = state;
    ui.printerState.className = "pos-printer-state is-" + state;

    var name = s.printer ? s.printer.charAt(0).toUpperCase() + s.printer.slice(1) : "";
    if (name && s.paper_mm) name += " · " + t("paper", { mm: s.paper_mm });
    ui.printerName.textContent = name;
    var summary;
    if (state === "unknown") summary = s.error ? t("pr_status_error", { error: s.error }) : t("pr_status_failed");
    else if (state === "none") summary = t("pr_none_summary");
    else if (failed.length) {
      summary = s.pending ? t("pr_failed_pending", { failed: failed.length, pending: s.pending })
                          : t("pr_failed", { failed: failed.length });
    }
    else if (s.pending) summary = t("pr_pending", { n: s.pending });
    else summary = t("pr_ready");
    ui.printerSummary.textContent = summary;

    var items = failed.map(function (job) {
      var li = document.createElement("li");
      li.dataset.jobId = job.id;
      var title = document.createElement("strong");
      title.textContent = jobTitle(job);
      var error = document.createElement("span");
      error.className = "pos-printer-error";
      error.textContent = job.last_error || t("job_unknown_error");
      var meta = document.createElement("small");
      meta.textContent = t("job_attempts", { n: job.attempts || 0 })
        + (job.created_at ? " · " + t("job_created", { time: formatTime(job.created_at, DATE_TIME) }) : "");
      var retry = document.createElement("button");
      retry.type = "button";
      retry.className = "pos-secondary";
      retry.dataset.retryJob = job.id;
      retry.textContent = t("retry");
      retry.setAttribute("aria-label", t("retry_label", { job: jobTitle(job) }));
      var text = document.createElement("div");
      text.append(title, error, meta);
      li.append(text, retry);
      return li;
    });
    ui.printerJobs.replaceChildren.apply(ui.printerJobs, items);
    ui.printerJobs.hidden = !items.length;
  }

  function togglePrinterPanel(open, byKeyboard) {
    if (open === undefined) open = ui.printerPanel.hidden;
    var wasOpen = !ui.printerPanel.hidden;
    ui.printerPanel.hidden = !open;
    ui.printerState.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      loadPrinter().then(function () {
        if (!byKeyboard || ui.printerPanel.hidden) return;
        var first = ui.printerPanel.querySelector("[data-retry-job]") || ui.printerPanel.querySelector("[data-printer-close]");
        first.focus();
      });
    } else if (wasOpen && ui.printerPanel.contains(document.activeElement)) {
      focusScan(true);
    }
  }

  ui.printerState.addEventListener("click", function (e) { togglePrinterPanel(undefined, e.detail === 0); });
  ui.printerPanel.addEventListener("click", function (e) {
    var target = e.target.closest("button");
    if (!target) return;
    if (target.hasAttribute("data-printer-close")) { togglePrinterPanel(false); return; }
    var id = target.dataset.retryJob;
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

  // ---------------------------------------------------------------- cash in/out

  function openCashMove() {
    if (anyDialogOpen() || state.pending) return;
    if (!currentShift) { openShiftDialog(t("cash_needs_shift")); return; }
    ui.cashMoveKind.value = "in";
    ui.cashMoveAmount.value = "";
    ui.cashMovePreview.textContent = "";
    ui.cashMoveReason.value = "";
    ui.cashMoveError.textContent = "";
    ui.cashMove.showModal();
    ui.cashMoveKind.focus();
  }

  function confirmCashMove() {
    if (ui.cashMoveConfirm.disabled || !currentShift) return;
    var kind = ui.cashMoveKind.value === "out" ? "out" : "in";
    var amount = parseMoney(ui.cashMoveAmount.value);
    var reason = ui.cashMoveReason.value.trim();
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
    var shiftId = currentShift.id;
    api("POST", "/shifts/" + encodeURIComponent(shiftId) + "/cash",
        { kind: kind, amount: amount, reason: reason }).then(function () {
      ui.cashMove.close();
      setStatus(t(kind === "in" ? "cash_in_done" : "cash_out_done", { amount: formatVnd(amount), reason: reason }), "ok");
    }, function (err) {
      ui.cashMoveError.textContent = err.retryable
        ? err.message + " " + t("cash_uncertain")
        : err.message;
      if (err.code === "shift_closed") { currentShift = null; renderShift(); }
    }).then(function () { ui.cashMoveConfirm.disabled = false; });
  }

  ui.cashMoveOpen.addEventListener("click", openCashMove);
  ui.cashMoveConfirm.addEventListener("click", confirmCashMove);
  ui.cashMove.addEventListener("click", function (e) {
    if (e.target.closest("button[data-close]")) ui.cashMove.close();
  });
  ui.cashMove.addEventListener("close", function () { setTimeout(function () { focusScan(true); }, 0); });
  ui.cashMoveAmount.addEventListener("input", function () {
    var v = parseMoney(ui.cashMoveAmount.value);
    ui.cashMovePreview.textContent = v === null ? "" : "= " + formatVnd(v);
  });
  ui.cashMove.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.defaultPrevented) return;
    if (e.target === ui.cashMoveKind) { e.preventDefault(); ui.cashMoveAmount.focus(); }
    else if (e.target === ui.cashMoveAmount) { e.preventDefault(); ui.cashMoveReason.focus(); }
    else if (e.target === ui.cashMoveReason) { e.preventDefault(); confirmCashMove(); }
  });

  // ---------------------------------------------------------------- close shift

  var denomInputs = Array.prototype.slice.call(ui.closeDialog.querySelectorAll("[data-denomination]"));
  var closing = { shiftId: null, closed: false, submitting: false, report: null };
  var CLOSE_TITLE = ui.closeTitle.textContent;

  /** The blind count: {counted: {"500000": n, …}, total, bad: the first field that is not a count}. */
  function readCount() {
    var counted = {};
    var total = 0;
    var bad = null;
    denomInputs.forEach(function (input) {
      var text = input.value.trim();
      var ok = text === "" || /^\d{1,6}$/.test(text);
      input.setAttribute("aria-invalid", ok ? "false" : "true");
      var n = ok && text ? Number(text) : 0;
      if (!ok && !bad) bad = input;
      var value = Number(input.dataset.denomination);
      counted[input.dataset.denomination] = n;
      total += value * n;
      var sub = ui.closeDialog.querySelector('[data-subtotal="' + input.dataset.denomination + '"]');
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

  function openCloseShift() {
    if (anyDialogOpen()) return;
    if (!currentShift) { setStatus(t("no_open_shift"), "warn"); return; }
    if (state.pending) { fail(t("close_busy")); return; }
    togglePrinterPanel(false);
    if (closing.shiftId !== currentShift.id || closing.closed) {
      // A new count for a new shift; reopening the same shift keeps what was counted.
      closing = { shiftId: currentShift.id, closed: false, submitting: false, report: null };
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
    ui.closeShiftInfo.textContent = shiftLabel(currentShift) + ".";
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
    var count = readCount();
    if (count.bad) {
      closeMessage(t("bad_count"));
      count.bad.focus();
      count.bad.select();
      return;
    }
    var body = { counted: count.counted };
    var note = ui.closeNote.value.trim();
    if (note) body.note = note;
    if (!ui.closeApproval.hidden) {
      var username = ui.approverUsername.value.trim();
      var password = ui.approverPassword.value;
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
    var shiftId = closing.shiftId;
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

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A two-column table of label → money, optionally with a count column. */
  function moneyTable(caption, rows) {
    var section = el("section", "zreport-section");
    section.appendChild(el("h4", "", caption));
    var table = el("table", "zreport-table");
    rows.forEach(function (r) {
      var tr = el("tr", r.className || "");
      if (r.id) tr.id = r.id;
      tr.appendChild(el("th", "", r.label));
      if (r.count !== undefined) tr.appendChild(el("td", "zreport-count", t("z_count", { n: r.count })));
      var td = el("td", "money", r.text !== undefined ? r.text : formatVnd(r.amount));
      if (r.count === undefined && rows.some(function (x) { return x.count !== undefined; })) td.colSpan = 2;
      tr.appendChild(td);
      table.appendChild(tr);
    });
    section.appendChild(table);
    return section;
  }

  function tally(x) { return x || { count: 0, amount: 0 }; }

  function renderZReport(r) {
    var body = ui.zreportBody;
    var head = el("div", "zreport-head");
    head.appendChild(el("h3", "", t("z_title")));
    var meta = [r.booth ? t("z_booth", { booth: r.booth }) : "", r.cashier ? t("cashier_is", { name: r.cashier }) : "",
                r.opened_at ? t("z_opened", { time: formatTime(r.opened_at, DATE_TIME) }) : "",
                r.closed_at ? t("z_closed", { time: formatTime(r.closed_at, DATE_TIME) }) : ""].filter(Boolean).join(" · ");
    head.appendChild(el("p", "pay-muted", meta));

    var byMethod = r.totals_by_method || {};
    var takings = moneyTable(t("z_by_method"), [
      { label: METHOD_LABELS.cash, amount: byMethod.cash || 0, id: "zreport-cash" },
      { label: METHOD_LABELS.transfer, amount: byMethod.transfer || 0, id: "zreport-transfer" },
      { label: METHOD_LABELS.card, amount: byMethod.card || 0, id: "zreport-card" },
      { label: t("z_net"), amount: r.net_total || 0, className: "is-total", id: "zreport-net" }
    ]);

    var vat = el("section", "zreport-section");
    vat.appendChild(el("h4", "", t("z_vat")));
    var rates = Object.keys(r.vat_by_rate || {}).sort(function (a, b) { return Number(a) - Number(b); });
    if (!rates.length) {
      vat.appendChild(el("p", "pay-muted", t("z_no_vat")));
    } else {
      var vt = el("table", "zreport-table zreport-vat");
      var hr = el("tr");
      [t("z_rate"), t("z_gross"), t("z_vat_amount"), t("z_before_vat")].forEach(function (h) { hr.appendChild(el("th", "", h)); });
      vt.appendChild(hr);
      rates.forEach(function (rate) {
        var row = r.vat_by_rate[rate] || {};
        var tr = el("tr");
        tr.dataset.vatRate = rate;
        tr.appendChild(el("th", "", rate + "%"));
        tr.appendChild(el("td", "money", formatVnd(row.gross)));
        tr.appendChild(el("td", "money", formatVnd(row.vat)));
        tr.appendChild(el("td", "money", formatVnd(row.net)));
        vt.appendChild(tr);
      });
      vat.appendChild(vt);
    }

    var sales = tally(r.sales), discounts = tally(r.discounts), refunds = tally(r.refunds), voids = tally(r.voids);
    var counts = moneyTable(t("z_orders"), [
      { label: t("z_sales"), count: sales.count, amount: sales.amount, id: "zreport-sales" },
      { label: t("z_discounts"), count: discounts.count, amount: discounts.amount, id: "zreport-discounts" },
      { label: t("z_refunds"), count: refunds.count, amount: refunds.amount, id: "zreport-refunds" },
      { label: t("z_voids"), count: voids.count, amount: voids.amount, id: "zreport-voids" }
    ]);

    var cash = moneyTable(t("z_cash"), [
      { label: t("z_float"), amount: r.opening_float || 0 },
      { label: t("z_cash_sales"), amount: r.cash_sales || 0 },
      { label: t("z_cash_in"), amount: r.cash_in || 0 },
      { label: t("z_cash_out"), text: formatSigned(-(r.cash_out || 0)) },
      { label: t("z_cash_refunds"), text: formatSigned(-(r.cash_refunds || 0)) },
      { label: t("z_expected"), amount: r.expected_cash || 0, className: "is-total", id: "zreport-expected" },
      { label: t("z_counted"), amount: r.counted_cash || 0, className: "is-total", id: "zreport-counted" }
    ]);

    var grid = el("div", "zreport-grid");
    grid.append(takings, vat, counts, cash);

    var diff = Number(r.difference) || 0;
    var diffBox = el("div", "zreport-diff " + (diff < 0 ? "is-short" : diff > 0 ? "is-over" : "is-even"));
    diffBox.appendChild(el("span", "", t(diff < 0 ? "z_short" : diff > 0 ? "z_over" : "z_even")));
    var diffValue = el("strong", "money", formatSigned(diff));
    diffValue.id = "zreport-difference";
    diffBox.appendChild(diffValue);

    var footer = el("p", "pay-muted");
    footer.textContent = [r.approved_by ? t("z_approved", { name: r.approved_by }) : "",
                          r.note ? t("z_note", { note: r.note }) : ""].filter(Boolean).join(" · ");
    body.replaceChildren(head, diffBox, grid, footer);
  }

  function showZReport(shiftId, report) {
    ui.closeTitle.textContent = t("shift_closed_title");
    closing.closed = true;
    closing.report = report;
    closing.shiftId = shiftId;
    if (currentShift && currentShift.id === shiftId) currentShift = null;
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

  ui.zreportPrint.addEventListener("click", function () {
    if (!closing.shiftId) return;
    if (printerStatus && printerStatus.state === "none") {
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
    var target = e.target;
    var i = denomInputs.indexOf(target);
    if (i !== -1) {
      e.preventDefault();
      var next = denomInputs[i + 1] || ui.closeNote;
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

  // ---------------------------------------------------------------- payment

  var method = "cash";
  var submitting = false;

  /**
   * Cash is what the customer handed over; transfers and card are exact amounts.
   * Change comes only from cash, and only beyond what the other methods left to pay.
   */
  function paymentSummary() {
    var total = cartTotal();
    var nonCash = 0;
    var cash = 0;
    state.payments.forEach(function (p) {
      if (p.method === "cash") cash += p.tendered; else nonCash += p.amount;
    });
    var due = Math.max(0, total - nonCash);
    var cashApplied = Math.min(cash, due);
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
  function paymentsForApi() {
    var s = paymentSummary();
    var out = state.payments.filter(function (p) { return p.method !== "cash"; }).map(function (p) {
      var item = { method: p.method, amount: p.amount };
      if (p.reference) item.reference = p.reference;
      return item;
    });
    if (s.cashApplied > 0) out.push({ method: "cash", amount: s.cashApplied, tendered: s.cash });
    return out;
  }

  function linesForApi() {
    return state.lines.map(function (l) {
      // A priced label goes by its barcode so the server reads the price from it.
      return l.barcode ? { barcode: l.barcode, qty: l.qty } : { product_id: l.product_id, qty: l.qty };
    });
  }

  /** Memo for the bank transfer, so the booth can match the credit on its statement. */
  function saleRef() {
    return "OCOP" + state.saleId.replace(/-/g, "").slice(0, 8).toUpperCase();
  }

  function payError(message) {
    ui.payError.textContent = message || "";
    if (message) beep("error");
  }

  function openPayment() {
    if (scanBusy) { payAfterScans = true; return; } // scan, scan, F4: pay for all of them
    if (!state.lines.length || state.pending || anyDialogOpen()) return;
    if (currentShift === null) {
      afterShiftOpened = openPayment;
      openShiftDialog(t("pay_needs_shift"));
      return;
    }
    payError("");
    ui.payDialog.showModal();
    selectMethod("cash");
    renderPayment();
  }

  function selectMethod(m) {
    method = m;
    ui.payDialog.querySelectorAll("[data-method]").forEach(function (b) {
      var on = b.dataset.method === m;
      b.setAttribute("aria-checked", on ? "true" : "false");
      b.classList.toggle("is-active", on);
    });
    ui.payDialog.querySelectorAll("[data-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== m;
    });
    var remaining = paymentSummary().remaining;
    if (m === "cash") {
      ui.tendered.focus();
    } else if (m === "transfer") {
      ui.transferAmount.value = remaining ? String(remaining) : "";
      prepareTransfer();
      ui.transferReceived.focus();
    } else if (m === "card") {
      ui.cardAmount.value = remaining ? String(remaining) : "";
      ui.cardRef.value = "";
      ui.cardRef.focus();
    }
  }

  function renderPayment() {
    var s = paymentSummary();
    ui.payTotal.textContent = formatVnd(s.total);
    ui.payPaid.textContent = formatVnd(s.paid);
    ui.payRemaining.textContent = formatVnd(s.remaining);
    ui.change.textContent = formatVnd(s.change);
    ui.payDialog.classList.toggle("is-covered", s.covered);
    ui.confirm.disabled = !s.covered || submitting || !!state.pending;
    ui.payDialog.classList.toggle("is-busy", !!state.pending);
    var items = state.payments.map(function (p, i) {
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = (p.method === "cash" ? t("cash_tendered") : METHOD_LABELS[p.method])
        + (p.reference ? " · " + p.reference : "");
      var amount = document.createElement("strong");
      amount.className = "money";
      amount.textContent = formatVnd(p.method === "cash" ? p.tendered : p.amount);
      var rm = document.createElement("button");
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
    if (amount > MAX_TENDER && amount > 10 * paymentSummary().total) {
      payError(t("tender_too_big", { amount: formatVnd(amount) }));
      ui.tendered.select();
      return;
    }
    addPayment({ method: "cash", tendered: amount });
    ui.tendered.value = "";
    ui.tenderedPreview.textContent = "";
    ui.tendered.focus(); // Enter now confirms, instead of pressing the quick button again
  }

  function addNonCash(kind, amount, reference) {
    var remaining = paymentSummary().remaining;
    if (!(amount > 0)) { payError(t("bad_amount")); return false; }
    if (amount > remaining) {
      payError(remaining ? t(kind === "card" ? "no_change_card" : "no_change_transfer", { amount: formatVnd(remaining) })
                         : t("paid_enough"));
      return false;
    }
    var p = { method: kind, amount: amount };
    if (reference) p.reference = reference;
    addPayment(p);
    return true;
  }

  function commitTendered() {
    var text = ui.tendered.value.trim();
    var amount = parseMoney(text);
    if (amount === null) { payError(t("bad_amount_text", { text: text })); return; }
    addCash(amount);
  }

  ui.payDialog.addEventListener("click", function (e) {
    var target = e.target.closest("button");
    if (!target) return;
    if (target.hasAttribute("data-close")) { ui.payDialog.close(); return; }
    if (state.pending) return; // the sale is being saved: its payments are frozen
    if (target.dataset.method) { selectMethod(target.dataset.method); return; }
    if (target.dataset.tender) {
      var s = paymentSummary();
      if (target.dataset.tender === "exact") {
        if (!s.remaining) { payError(t("paid_enough")); ui.tendered.focus(); return; }
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
    var v = parseMoney(ui.tendered.value);
    ui.tenderedPreview.textContent = v === null ? "" : "= " + formatVnd(v);
  });

  ui.transferReceived.addEventListener("click", function () {
    var amount = parseMoney(ui.transferAmount.value);
    if (amount === null) amount = paymentSummary().remaining;
    if (addNonCash("transfer", amount, saleRef())) {
      var left = paymentSummary().remaining;
      ui.transferAmount.value = left ? String(left) : "";
      if (left) prepareTransfer(); else ui.vietqr.replaceChildren();
      ui.confirm.focus();
    }
  });

  ui.cardAdd.addEventListener("click", addCard);
  function addCard() {
    var amount = parseMoney(ui.cardAmount.value);
    if (amount === null) amount = paymentSummary().remaining;
    if (addNonCash("card", amount, ui.cardRef.value.trim())) {
      var left = paymentSummary().remaining;
      ui.cardAmount.value = left ? String(left) : "";
      ui.cardRef.value = "";
      ui.confirm.focus();
    }
  }

  var qrSeq = 0;
  var qrTimer = null;
  /** Ask the booth for the VietQR payload and draw it here; no image service, no CDN. */
  function prepareTransfer() {
    clearTimeout(qrTimer);
    var amount = parseMoney(ui.transferAmount.value);
    if (amount === null) amount = paymentSummary().remaining;
    var ref = saleRef();
    ui.vietqrAmount.textContent = amount ? formatVnd(amount) : "";
    ui.vietqrRef.textContent = ref;
    var seq = ++qrSeq;
    if (!amount) { ui.vietqr.replaceChildren(); return; }
    ui.vietqr.textContent = t("qr_making");
    api("GET", "/vietqr?amount=" + amount + "&ref=" + encodeURIComponent(ref)).then(function (data) {
      if (seq !== qrSeq) return;
      if (!data || !data.payload) {
        ui.vietqr.textContent = t("qr_no_account");
        return;
      }
      if (!window.OcopQR) throw new ApiError(0, "no_qr", t("qr_no_lib"));
      ui.vietqr.replaceChildren(window.OcopQR.toSvg(data.payload, { ecl: "M", title: t("qr_title", { amount: formatVnd(amount) }) }));
      ui.vietqr.dataset.payload = data.payload;
      var account = [data.bank_name || data.bin, data.account, data.account_name || data.name].filter(Boolean).join(" · ");
      ui.vietqrAccount.textContent = account;
    }).catch(function (err) {
      if (seq !== qrSeq) return;
      ui.vietqr.textContent = t("qr_failed", { error: err.message });
    });
  }
  ui.transferAmount.addEventListener("input", function () {
    clearTimeout(qrTimer);
    qrTimer = setTimeout(prepareTransfer, 400);
  });

  // Enter: commit what was typed; once the money covers the total, Enter finishes the sale.
  ui.payDialog.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.defaultPrevented) return;
    var target = e.target;
    var hasValue = isEditable(target) && target.value.trim() !== "";
    if (target === ui.tendered && hasValue) { e.preventDefault(); commitTendered(); return; }
    if ((target === ui.cardAmount || target === ui.cardRef) && (hasValue || !paymentSummary().covered)) {
      e.preventDefault();
      if (target === ui.cardRef || hasValue) addCard();
      return;
    }
    if (target === ui.transferAmount && hasValue && !paymentSummary().covered) {
      e.preventDefault();
      prepareTransfer();
      return;
    }
    var ownAction = target.tagName === "BUTTON" && target !== ui.confirm
      && (target.hasAttribute("data-close") || target.dataset.removePayment !== undefined);
    if (ownAction) return; // Enter on "back" or "✕" does what the button says
    if (paymentSummary().covered) { e.preventDefault(); submitSale(); return; }
    if (target.tagName === "BUTTON") return; // let Enter press the focused button
    e.preventDefault();
    payError(t("remaining", { amount: formatVnd(paymentSummary().remaining) }));
  });

  ui.confirm.addEventListener("click", submitSale);
  ui.payDialog.addEventListener("close", function () {
    payError("");
    qrSeq++;
    setTimeout(function () { focusScan(true); }, 0);
  });
  ui.shiftDialog.addEventListener("close", function () {
    afterShiftOpened = null;
    setTimeout(function () { focusScan(true); }, 0);
  });
  ui.shiftDialog.addEventListener("click", function (e) {
    var target = e.target.closest("button[data-close]");
    if (target) ui.shiftDialog.close();
  });

  // ---------------------------------------------------------------- submit

  var retryTimer = null;

  function submitSale() {
    if (submitting || state.pending) return;
    var s = paymentSummary();
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

  function attemptSubmit() {
    clearTimeout(retryTimer);
    if (!state.pending || !state.request || submitting) return;
    submitting = true;
    ui.confirm.disabled = true;
    setStatus(t("saving"), "info");
    api("POST", "/sales", state.request).then(function (sale) {
      submitting = false;
      onSaleDone(sale || {});
    }, function (err) {
      submitting = false;
      if (err.retryable) {
        state.attempts += 1;
        saveState();
        var delay = RETRY_DELAYS[Math.min(state.attempts - 1, RETRY_DELAYS.length - 1)];
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
        currentShift = null;
        renderShift();
        afterShiftOpened = openPayment;
        openShiftDialog(err.message);
      } else if (ui.payDialog.open) {
        payError(err.message);
        renderPayment();
      }
    });
  }

  function onSaleDone(sale) {
    var change = typeof sale.change === "number" ? sale.change : state.expectedChange;
    var id = sale.id || state.saleId;
    ui.saleNumber.textContent = sale.number || id;
    ui.saleChange.textContent = formatVnd(change);
    ui.saleDone.dataset.saleId = id;
    ui.receipt.hidden = true;
    ui.receipt.onload = function () { ui.receipt.hidden = false; };
    ui.receipt.onerror = function () { ui.receipt.hidden = true; ui.receipt.removeAttribute("src"); };
    ui.receipt.src = RECEIPT_BASE + encodeURIComponent(id) + "/receipt.png";
    ui.saleDone.hidden = false;
    state = newState();
    renderCart();
    if (ui.payDialog.open) ui.payDialog.close();
    setStatus(t("sale_saved", { number: sale.number || "", change: formatVnd(change) }), "ok");
    beep("ok");
    focusScan();
    // The receipt is queued with the sale: show it waiting now, and how it went shortly after.
    loadPrinter();
    setTimeout(loadPrinter, 3000);
  }

  function hideSaleDone() {
    ui.saleDone.hidden = true;
  }

  ui.saleDoneClose.addEventListener("click", hideSaleDone);
  ui.reprint.addEventListener("click", function () {
    var id = ui.saleDone.dataset.saleId;
    if (!id) return;
    api("POST", "/sales/" + encodeURIComponent(id) + "/print",
        { reason: "Thu ngân in lại từ màn hình bán hàng" }).then(function () {
      setStatus(t("reprint_sent"), "ok");
    }, function (err) { fail(err.message); }).then(loadPrinter);
  });

  window.addEventListener("online", function () { if (state.pending) attemptSubmit(); });

  // ---------------------------------------------------------------- start

  renderCart();
  renderShift();
  renderPrinter();
  loadShift();
  loadPrinter();
  if (state.pending && state.request) {
    setStatus(t("resuming"), "info");
    attemptSubmit();
  } else if (state.pending) {
    state.pending = false; // nothing was frozen: unlock
    renderCart();
  } else if (state.lines.length) {
    setStatus(t("restored", { n: state.lines.length }), "info");
  }
  focusScan();

  // For tests and the console: pure helpers, no state.
  window.OcopCashier = { formatVnd: formatVnd, formatSigned: formatSigned, parseMoney: parseMoney,
                         formatTime: formatTime };
})();
