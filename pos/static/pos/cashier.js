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
    openShiftError: $("open-shift-error")
  };

  var METHOD_LABELS = { cash: "Tiền mặt", transfer: "Chuyển khoản", card: "Thẻ" };

  // ---------------------------------------------------------------- money

  /** 125000 -> "125.000 ₫", the same as pos.money.format_vnd, independent of the browser's ICU. */
  function formatVnd(amount) {
    var n = Math.trunc(Number(amount) || 0);
    var digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (n < 0 ? "-" : "") + digits + " ₫";
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
    if (status === 401) return "Phiên đăng nhập đã hết. Vui lòng đăng nhập lại.";
    if (status === 403) return "Bạn không có quyền làm việc này.";
    if (status === 404) return "Không tìm thấy.";
    if (status >= 500) return "Lỗi máy chủ.";
    return "Yêu cầu không hợp lệ (" + status + ").";
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
        throw new ApiError(0, "network", "Mất kết nối tới máy chủ.");
      });
    }, function (e) {
      if (e && e.name === "AbortError") throw e;
      throw new ApiError(0, "network", "Mất kết nối tới máy chủ.");
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
    if (!line || state.pending) { fail("Chọn một dòng trước khi nhập số lượng."); return; }
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
    setStatus("Đã bỏ " + removed.name + ".", "info");
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
      setStatus("Đã xóa đơn.", "info");
      return;
    }
    clearArmedUntil = now + 3000;
    setStatus("Nhấn F8 (hoặc Xóa đơn) lần nữa để xóa cả đơn.", "warn");
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
        tr.title = "Tồn kho tại điểm bán chỉ còn " + line.on_hand;
      }
      if (line.key === flashKey) tr.classList.add("is-flash");
      tr.appendChild(cell(String(i + 1), "col-no"));
      var name = cell(undefined, "col-name");
      var strong = document.createElement("span");
      strong.className = "line-name";
      strong.textContent = line.name;
      name.appendChild(strong);
      var meta = document.createElement("small");
      meta.textContent = [line.code, line.barcode ? "giá theo tem " + line.barcode : "",
                          line.on_hand !== null && line.qty > line.on_hand ? "tồn " + line.on_hand : ""]
        .filter(Boolean).join(" · ");
      name.appendChild(meta);
      tr.appendChild(name);
      var qty = cell(undefined, "col-qty");
      qty.appendChild(button("−", "dec", "Giảm số lượng"));
      var q = document.createElement("span");
      q.className = "qty";
      q.textContent = String(line.qty);
      qty.appendChild(q);
      qty.appendChild(button("+", "inc", "Tăng số lượng"));
      tr.appendChild(qty);
      tr.appendChild(cell(formatVnd(line.unit_price), "col-money money"));
      tr.appendChild(cell(formatVnd(line.unit_price * line.qty), "col-money money line-amount"));
      var rm = cell(undefined, "col-remove");
      rm.appendChild(button("✕", "remove", "Xóa dòng " + line.name));
      tr.appendChild(rm);
      return tr;
    });
    var tbody = ui.cart.tBodies[0];
    tbody.replaceChildren.apply(tbody, rows);
    var count = state.lines.reduce(function (s, l) { return s + l.qty; }, 0);
    ui.cartEmpty.hidden = state.lines.length > 0;
    ui.total.textContent = formatVnd(cartTotal());
    ui.itemCount.textContent = count ? "(" + count + " món)" : "";
    ui.pay.disabled = !state.lines.length || state.pending;
    ui.clearCart.disabled = !state.lines.length || state.pending;
    root.classList.toggle("is-locked", !!state.pending);
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
      fail("Đang lưu đơn trước — chờ lưu xong rồi quét lại.");
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
      if (!product || product.id === undefined) throw new ApiError(500, "bad_response", "Máy chủ trả lời không đúng dạng.");
      // inventory/api.py reports its decoding of the code as "scanned".
      addProduct(product, { qty: scan.qty, scanned: scan.code, scan: product.scanned || product.scan });
    }, function (err) {
      var notACode = err.code === "unknown_barcode" || err.code === "bad_barcode";
      if (scan.source === "typed" && notACode && /\D/.test(scan.code)) {
        // Someone typed a name into the scan field: search for it instead.
        ui.search.value = scan.code;
        ui.search.focus();
        runSearch(scan.code);
        setStatus("Không có mã “" + scan.code + "”, đang tìm theo tên.", "info");
        return;
      }
      if (err.code === "unknown_barcode") fail("Không có hàng với mã vạch " + scan.code + ".");
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
    if (key === "F2" || key === "F4" || key === "F8") {
      e.preventDefault();
      if (dialogOpen) return;
      if (key === "F2") { ui.search.focus(); ui.search.select(); }
      if (key === "F4") openPayment();
      if (key === "F8") requestClear();
      return;
    }
    if (dialogOpen || e.ctrlKey || e.altKey || e.metaKey) return;
    var t = e.target;
    var onEmptyScan = t === ui.scan && ui.scan.value === "";
    if (!onEmptyScan && isEditable(t)) return;
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
                          typeof p.on_hand === "number" ? "còn " + p.on_hand : ""].filter(Boolean).join(" · ");
      li.append(name, price, meta);
      return li;
    });
    if (message || !items.length) {
      var li = document.createElement("li");
      li.className = "result-empty";
      li.textContent = message || "Không tìm thấy hàng phù hợp.";
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
    if (state.pending) { fail("Đang lưu đơn trước — chờ lưu xong."); return; }
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

  function renderShift() {
    if (currentShift) {
      var opened = currentShift.opened_at ? new Date(currentShift.opened_at) : null;
      ui.shiftInfo.textContent = "Ca " + (currentShift.number || currentShift.id)
        + (opened && !isNaN(opened) ? " · mở lúc " + opened.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) : "");
      ui.shiftInfo.classList.remove("is-warn");
    } else if (currentShift === null) {
      ui.shiftInfo.textContent = "Chưa mở ca";
      ui.shiftInfo.classList.add("is-warn");
    } else {
      ui.shiftInfo.textContent = "";
    }
  }

  function loadShift() {
    api("GET", "/shifts/current").then(function (data) {
      currentShift = data && data.shift ? data.shift : null;
      renderShift();
      if (!currentShift) openShiftDialog();
    }, function (err) {
      setStatus("Không kiểm tra được ca bán hàng: " + err.message, "warn");
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
      ui.openShiftError.textContent = "Số tiền đầu ca không hợp lệ.";
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
      setStatus("Đã mở ca với " + formatVnd(amount) + " tiền đầu ca.", "ok");
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
      openShiftDialog("Cần mở ca trước khi thu tiền.");
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
      label.textContent = METHOD_LABELS[p.method] + (p.method === "cash" ? " (khách đưa)" : "")
        + (p.reference ? " · " + p.reference : "");
      var amount = document.createElement("strong");
      amount.className = "money";
      amount.textContent = formatVnd(p.method === "cash" ? p.tendered : p.amount);
      var rm = document.createElement("button");
      rm.type = "button";
      rm.dataset.removePayment = String(i);
      rm.textContent = "✕";
      rm.setAttribute("aria-label", "Bỏ khoản " + METHOD_LABELS[p.method]);
      li.append(label, amount, rm);
      return li;
    });
    ui.payments.replaceChildren.apply(ui.payments, items);
    if (s.overpaidNonCash) payError("Chuyển khoản/thẻ nhiều hơn số phải trả: bỏ bớt một khoản.");
  }

  function addPayment(p) {
    if (state.pending) return;
    state.payments.push(p);
    payError("");
    saveState();
    renderPayment();
  }

  function addCash(amount) {
    if (!(amount > 0)) { payError("Số tiền không hợp lệ."); return; }
    if (amount > MAX_TENDER && amount > 10 * paymentSummary().total) {
      payError("Số tiền khách đưa quá lớn: " + formatVnd(amount) + ". Kiểm tra lại.");
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
    if (!(amount > 0)) { payError("Số tiền không hợp lệ."); return false; }
    if (amount > remaining) {
      payError(remaining ? "Chỉ còn thiếu " + formatVnd(remaining) + "; " + METHOD_LABELS[kind].toLowerCase()
                           + " không trả lại tiền thừa." : "Đã đủ tiền.");
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
    if (amount === null) { payError("Số tiền không hợp lệ: " + text); return; }
    addCash(amount);
  }

  ui.payDialog.addEventListener("click", function (e) {
    var t = e.target.closest("button");
    if (!t) return;
    if (t.hasAttribute("data-close")) { ui.payDialog.close(); return; }
    if (state.pending) return; // the sale is being saved: its payments are frozen
    if (t.dataset.method) { selectMethod(t.dataset.method); return; }
    if (t.dataset.tender) {
      var s = paymentSummary();
      if (t.dataset.tender === "exact") {
        if (!s.remaining) { payError("Đã đủ tiền."); ui.tendered.focus(); return; }
        addCash(s.remaining);
      } else {
        addCash(Number(t.dataset.tender));
      }
      return;
    }
    if (t.dataset.removePayment !== undefined) {
      state.payments.splice(Number(t.dataset.removePayment), 1);
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
    ui.vietqr.textContent = "Đang tạo mã QR…";
    api("GET", "/vietqr?amount=" + amount + "&ref=" + encodeURIComponent(ref)).then(function (data) {
      if (seq !== qrSeq) return;
      if (!data || !data.payload) {
        ui.vietqr.textContent = "Chưa cấu hình tài khoản nhận chuyển khoản: xem tiền về trên ứng dụng ngân hàng rồi bấm “Đã nhận tiền”.";
        return;
      }
      if (!window.OcopQR) throw new ApiError(0, "no_qr", "Không tải được bộ vẽ mã QR (qr.js).");
      ui.vietqr.replaceChildren(window.OcopQR.toSvg(data.payload, { ecl: "M", title: "Mã VietQR " + formatVnd(amount) }));
      ui.vietqr.dataset.payload = data.payload;
      var account = [data.bank_name || data.bin, data.account, data.account_name || data.name].filter(Boolean).join(" · ");
      ui.vietqrAccount.textContent = account;
    }).catch(function (err) {
      if (seq !== qrSeq) return;
      ui.vietqr.textContent = "Không tạo được mã QR: " + err.message
        + " Có thể chuyển khoản thủ công, kiểm tra tiền về rồi bấm “Đã nhận tiền”.";
    });
  }
  ui.transferAmount.addEventListener("input", function () {
    clearTimeout(qrTimer);
    qrTimer = setTimeout(prepareTransfer, 400);
  });

  // Enter: commit what was typed; once the money covers the total, Enter finishes the sale.
  ui.payDialog.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.defaultPrevented) return;
    var t = e.target;
    var hasValue = isEditable(t) && t.value.trim() !== "";
    if (t === ui.tendered && hasValue) { e.preventDefault(); commitTendered(); return; }
    if ((t === ui.cardAmount || t === ui.cardRef) && (hasValue || !paymentSummary().covered)) {
      e.preventDefault();
      if (t === ui.cardRef || hasValue) addCard();
      return;
    }
    if (t === ui.transferAmount && hasValue && !paymentSummary().covered) {
      e.preventDefault();
      prepareTransfer();
      return;
    }
    var ownAction = t.tagName === "BUTTON" && t !== ui.confirm
      && (t.hasAttribute("data-close") || t.dataset.removePayment !== undefined);
    if (ownAction) return; // Enter on "back" or "✕" does what the button says
    if (paymentSummary().covered) { e.preventDefault(); submitSale(); return; }
    if (t.tagName === "BUTTON") return; // let Enter press the focused button
    e.preventDefault();
    payError("Còn thiếu " + formatVnd(paymentSummary().remaining) + ".");
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
    var t = e.target.closest("button[data-close]");
    if (t) ui.shiftDialog.close();
  });

  // ---------------------------------------------------------------- submit

  var retryTimer = null;

  function submitSale() {
    if (submitting || state.pending) return;
    var s = paymentSummary();
    if (s.overpaidNonCash) { payError("Chuyển khoản/thẻ nhiều hơn số phải trả."); return; }
    if (!s.covered) { payError("Còn thiếu " + formatVnd(s.remaining) + "."); return; }
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
    setStatus("Đang lưu đơn…", "info");
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
        setStatus("Mất kết nối — đang thử lại (lần " + state.attempts + ", sau "
                  + Math.round(delay / 1000) + " giây). Đơn vẫn được giữ.", "error",
                  { id: "retry-now", label: "Thử lại ngay", run: attemptSubmit });
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
    setStatus("Đã lưu đơn " + (sale.number || "") + ". Tiền thừa: " + formatVnd(change) + ".", "ok");
    beep("ok");
    focusScan();
  }

  function hideSaleDone() {
    ui.saleDone.hidden = true;
  }

  ui.saleDoneClose.addEventListener("click", hideSaleDone);
  ui.reprint.addEventListener("click", function () {
    var id = ui.saleDone.dataset.saleId;
    if (!id) return;
    api("POST", "/sales/" + encodeURIComponent(id) + "/print", {}).then(function () {
      setStatus("Đã gửi lệnh in lại hoá đơn.", "ok");
    }, function (err) { fail(err.message); });
  });

  window.addEventListener("online", function () { if (state.pending) attemptSubmit(); });

  // ---------------------------------------------------------------- start

  renderCart();
  renderShift();
  loadShift();
  if (state.pending && state.request) {
    setStatus("Đang lưu lại đơn chưa xong từ lần trước…", "info");
    attemptSubmit();
  } else if (state.pending) {
    state.pending = false; // nothing was frozen: unlock
    renderCart();
  } else if (state.lines.length) {
    setStatus("Đã khôi phục đơn đang làm dở (" + state.lines.length + " dòng).", "info");
  }
  focusScan();

  // For tests and the console: pure helpers, no state.
  window.OcopCashier = { formatVnd: formatVnd, parseMoney: parseMoney };
})();
