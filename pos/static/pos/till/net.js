/* The booth's JSON API (/api/v1, docs/contract.md) with the login session and the page's CSRF token. */

import { API } from "./dom.js";
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    // No answer, or the server failed: the request may or may not have been applied.
    this.retryable = status === 0 || status === 408 || status === 429 || status >= 500;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

function defaultMessage(status) {
  if (status === 401) return t("err_401");
  if (status === 403) return t("err_403");
  if (status === 404) return t("err_404");
  if (status >= 500) return t("err_500");
  return t("err_bad_request", { status: status });
}

export function api(method, path, body, options) {
  const headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const init = { method: method, credentials: "same-origin", headers: headers, cache: "no-store" };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (options && options.signal) init.signal = options.signal;
  return fetch(API + path, init).then(function (resp) {
    return resp.text().then(function (text) {
      let data = null;
      const isJson = (resp.headers.get("Content-Type") || "").indexOf("json") !== -1;
      if (text && isJson) {
        try { data = JSON.parse(text); } catch (e) { data = null; }
      }
      if (!resp.ok) {
        const err = (data && data.error) || {};
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
