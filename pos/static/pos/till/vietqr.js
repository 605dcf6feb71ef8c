/* The VietQR code for a bank transfer: drawn by the booth's server (SVG), shown with the account. */

import { ui } from "./dom.js";
import { formatVnd, parseMoney } from "./format.js";
import { t } from "./i18n.js";
import { api } from "./net.js";

let qrSeq = 0;
let qrTimer = null;

/** Forget any QR on its way (the payment dialog closed). */
export function cancelQr() { qrSeq++; clearTimeout(qrTimer); }

export function clearQr() { ui.vietqr.replaceChildren(); }

/** The server's SVG as a node: parsed as XML, never as HTML, and only if it is an <svg>. */
function svgNode(text, title) {
  const doc = new DOMParser().parseFromString(String(text || ""), "image/svg+xml");
  const svg = doc.documentElement;
  if (!svg || svg.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) return null;
  svg.setAttribute("aria-label", title);
  return document.importNode(svg, true);
}

/** Ask the booth for this amount's VietQR and show it; ``remaining`` is the amount by default. */
export function prepareTransfer(remaining, ref) {
  clearTimeout(qrTimer);
  let amount = parseMoney(ui.transferAmount.value);
  if (amount === null) amount = remaining;
  ui.vietqrAmount.textContent = amount ? formatVnd(amount) : "";
  ui.vietqrRef.textContent = ref;
  const seq = ++qrSeq;
  if (!amount) { ui.vietqr.replaceChildren(); return; }
  ui.vietqr.textContent = t("qr_making");
  api("GET", "/vietqr?amount=" + amount + "&ref=" + encodeURIComponent(ref)).then(function (data) {
    if (seq !== qrSeq) return;
    if (!data || !data.payload) {
      ui.vietqr.textContent = t("qr_no_account");
      return;
    }
    const svg = svgNode(data.svg, t("qr_title", { amount: formatVnd(amount) }));
    if (!svg) throw new Error(t("bad_response"));
    ui.vietqr.replaceChildren(svg);
    ui.vietqr.dataset.payload = data.payload;
    ui.vietqrAccount.textContent = [data.bank_name, data.account, data.account_name].filter(Boolean).join(" · ");
  }).catch(function (err) {
    if (seq !== qrSeq) return;
    ui.vietqr.textContent = t("qr_failed", { error: err.message });
  });
}

/** Retyping the amount redraws the code once the cashier pauses. */
export function prepareTransferSoon(remaining, ref) {
  clearTimeout(qrTimer);
  qrTimer = setTimeout(function () { prepareTransfer(remaining(), ref()); }, 400);
}
