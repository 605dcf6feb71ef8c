/*
 * Cashier screen of the OCOP booth: scan, pay, next customer.
 *
 * Plain ES modules, no build step, one per concern under ./till/: the cart, scanning,
 * search, payment and VietQR, sending the sale (retried under the same id), the
 * receipt, the shift (open, cash in/out, close and Z-report), the printer, hotkeys.
 * This file only wires them together and starts the page. Money is integer đồng.
 */

import { renderCart, wireCart } from "./till/cart.js";
import { wireCashDrawer } from "./till/cashdrawer.js";
import { wireCloseShift } from "./till/closeshift.js";
import { focusScan, root } from "./till/dom.js";
import { formatSigned, formatTime, formatVnd, parseMoney } from "./till/format.js";
import { wireKeys } from "./till/keys.js";
import { onSubmit, wirePayment } from "./till/payment.js";
import { loadPrinter, renderPrinter, wirePrinter } from "./till/printer.js";
import { hideSaleDone, wireReceipt } from "./till/receipt.js";
import { resumeSale, submitSale } from "./till/sale.js";
import { setScanHooks, wireScanning } from "./till/scan.js";
import { onSearchPick, searchFor, wireSearch } from "./till/search.js";
import { loadShift, renderShift, wireShift } from "./till/shift.js";

if (root) {
  wireScanning();
  setScanHooks({ beforeScan: hideSaleDone, typedName: searchFor });
  wireKeys();
  wireCart();
  wireSearch();
  onSearchPick(hideSaleDone);
  wireShift();
  wirePrinter();
  wireCashDrawer();
  wireCloseShift();
  wirePayment();
  onSubmit(submitSale);
  wireReceipt();

  renderCart();
  renderShift();
  renderPrinter();
  loadShift();
  loadPrinter();
  resumeSale();
  focusScan();
}

// For tests and the console: pure helpers, no state.
window.OcopCashier = { formatVnd: formatVnd, formatSigned: formatSigned, parseMoney: parseMoney,
                       formatTime: formatTime };
