/*
 * After a sale: its number, the change, "In lại hóa đơn", "Đơn mới", and the receipt
 * image, opened full size in a dialog (a thumbnail of a receipt is unreadable).
 */

import { focusScan, RECEIPT_BASE, ui } from "./dom.js";
import { fail, setStatus } from "./feedback.js";
import { formatVnd } from "./format.js";
import { t } from "./i18n.js";
import { api } from "./net.js";
import { loadPrinter } from "./printer.js";

export function showSaleDone(id, number, change) {
  ui.saleNumber.textContent = number || id;
  ui.saleChange.textContent = formatVnd(change);
  ui.saleDone.dataset.saleId = id;
  ui.receiptOpen.hidden = true;
  ui.receiptFull.onload = function () { ui.receiptOpen.hidden = false; };
  ui.receiptFull.onerror = function () { ui.receiptOpen.hidden = true; ui.receiptFull.removeAttribute("src"); };
  ui.receiptFull.src = RECEIPT_BASE + encodeURIComponent(id) + "/receipt.png";
  ui.saleDone.hidden = false;
}

export function hideSaleDone() {
  ui.saleDone.hidden = true;
}

export function wireReceipt() {
  ui.saleDoneClose.addEventListener("click", hideSaleDone);
  ui.reprint.addEventListener("click", function () {
    const id = ui.saleDone.dataset.saleId;
    if (!id) return;
    api("POST", "/sales/" + encodeURIComponent(id) + "/print",
        { reason: "Thu ngân in lại từ màn hình bán hàng" }).then(function () {
      setStatus(t("reprint_sent"), "ok");
    }, function (err) { fail(err.message); }).then(loadPrinter);
  });
  ui.receiptOpen.addEventListener("click", function () {
    if (ui.receiptFull.getAttribute("src")) ui.receiptDialog.showModal();
  });
  ui.receiptDialog.addEventListener("click", function (e) {
    // A click on the backdrop or on "Đóng" closes it.
    if (e.target === ui.receiptDialog || e.target.closest("button[data-close]")) ui.receiptDialog.close();
  });
  ui.receiptDialog.addEventListener("close", function () { setTimeout(function () { focusScan(true); }, 0); });
}
