/*
 * The page renders every message the till shows, already translated, as JSON
 * (pos/templates/pos/cashier.html, #i18n): Vietnamese source, English with ?lang=en.
 */

const MESSAGES = (function () {
  const node = document.getElementById("i18n");
  try { return (node && JSON.parse(node.textContent)) || {}; } catch (e) { return {}; }
})();

/** t("removed", {name: "Mật ong"}): the page's message, with %(name)s placeholders filled. */
export function t(key, vars) {
  const text = Object.prototype.hasOwnProperty.call(MESSAGES, key) ? String(MESSAGES[key]) : key;
  if (!vars) return text;
  return text.replace(/%\((\w+)\)s/g, function (m, name) {
    return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m;
  });
}

// Dates and times in the page's language; the clock is always the booth's (format.js).
export const LOCALE = /^en\b/i.test(document.documentElement.lang || "") ? "en-GB" : "vi-VN";

export const METHOD_LABELS = { cash: t("m_cash"), transfer: t("m_transfer"), card: t("m_card") };
