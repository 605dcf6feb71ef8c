/* Money and time as the cashier reads and types them; pure functions, no page state. */

import { LOCALE } from "./i18n.js";

/** 125000 -> "125.000 ₫", the same as pos.money.format_vnd, independent of the browser's ICU. */
export function formatVnd(amount) {
  const n = Math.trunc(Number(amount) || 0);
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return (n < 0 ? "-" : "") + digits + " ₫";
}

/** A difference: "−100.000 ₫", "+50.000 ₫", "0 ₫" (a true minus sign, readable from afar). */
export function formatSigned(amount) {
  const n = Math.trunc(Number(amount) || 0);
  if (n < 0) return "\u2212" + formatVnd(-n);
  return (n > 0 ? "+" : "") + formatVnd(n);
}

// The booth is in Thanh Hóa: show its clock, whatever zone the tablet was set to.
const TIME_ZONE = "Asia/Ho_Chi_Minh";

/** The server's ISO stamps are UTC; one without an offset is UTC too, not local time. */
export function parseTime(iso) {
  if (!iso) return null;
  let text = String(iso);
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(text)) text += "Z";
  const d = new Date(text);
  return isNaN(d) ? null : d;
}

/** "08:15" by default; pass Intl options for more (always in Asia/Ho_Chi_Minh). */
export function formatTime(iso, options) {
  const d = parseTime(iso);
  if (!d) return "";
  const opts = Object.assign({}, options || { hour: "2-digit", minute: "2-digit" }, { timeZone: TIME_ZONE });
  try { return d.toLocaleString(LOCALE, opts); } catch (e) { return d.toISOString(); }
}

export const DATE_TIME = { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" };

export function isToday(iso) {
  const d = parseTime(iso);
  if (!d) return false;
  const day = { day: "2-digit", month: "2-digit", year: "numeric", timeZone: TIME_ZONE };
  return d.toLocaleDateString(LOCALE, day) === new Date().toLocaleDateString(LOCALE, day);
}

/** What cashiers type: "200000", "200.000", "200k", "1,5tr". Null when it is not money. */
export function parseMoney(text) {
  let s = String(text == null ? "" : text).trim().toLowerCase().replace(/[\s₫]|đ$|vnd$/g, "");
  if (!s) return null;
  let unit = 1;
  if (/k$/.test(s)) { unit = 1000; s = s.slice(0, -1); }
  else if (/tr$/.test(s)) { unit = 1000000; s = s.slice(0, -2); }
  let n;
  if (unit > 1 && /^\d+([.,]\d{1,3})?$/.test(s)) {
    const parts = s.split(/[.,]/);
    const frac = parts[1] || "";
    n = Number(parts[0]) * unit + Math.round(Number("0." + (frac || "0")) * unit);
  } else if (/^\d+$/.test(s) || /^\d{1,3}([.,]\d{3})+$/.test(s)) {
    n = Number(s.replace(/[.,]/g, "")) * unit;
  } else {
    return null;
  }
  return Number.isSafeInteger(n) ? n : null;
}
