// Counting a stocktake by scanning: each scan adds one to its line and is sent at once;
// typed counts are sent when they change. Loaded as a file: the pages' CSP allows no inline script.
(function () {
  "use strict";
  var form = document.getElementById("counts-form");
  var scan = document.getElementById("scan");
  var status = document.getElementById("scan-status");
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function rowFor(productId) {
    return form.querySelector('tr[data-product="' + productId + '"]');
  }

  function rowForCode(code) {
    var rows = form.querySelectorAll("tr[data-product]");
    for (var i = 0; i < rows.length; i++) {
      if ((" " + rows[i].dataset.barcodes + " ").indexOf(" " + code + " ") >= 0) return rows[i];
    }
    return null;
  }

  function fail(message) { status.textContent = message; status.className = "negative"; }

  function call(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().then(function (data) { return {ok: r.ok, body: data}; });
    });
  }

  // Counts go out one at a time, in scan order: the server keeps the last one it gets.
  var queue = Promise.resolve();
  function send(count, done) {
    queue = queue.then(function () {
      return call("POST", form.dataset.api, {counts: [count]}).then(function (answer) {
        if (!answer.ok) { fail(answer.body.error.message); return; }
        status.className = "";
        if (done) done(answer.body);
      });
    }).catch(function () { fail("Không gửi được số đếm, hãy thử lại."); });
  }

  function addOne(row) {
    var input = row.querySelector("input");
    var next = (parseInt(input.value, 10) || 0) + 1;
    input.value = next;
    send({product_id: parseInt(row.dataset.product, 10), counted: next}, function () {
      status.textContent = row.children[2].textContent + ": " + next;
    });
  }

  scan.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    var code = scan.value.trim();
    scan.value = "";
    if (!code) return;
    var row = rowForCode(code);
    if (row) { addOne(row); return; }
    // Another form of a listed code, or a product the sheet does not list: ask the server,
    // in turn with the counts still on their way, so their answers cannot clear its error.
    queue = queue.then(function () {
      return call("GET", form.dataset.lookup + encodeURIComponent(code)).then(function (answer) {
        if (!answer.ok) { fail(answer.body.error.message); return; }
        var listed = rowFor(answer.body.id);
        if (listed) { addOne(listed); return; }
        send({product_id: answer.body.id, counted: 1}, function () { window.location.reload(); });
      });
    }).catch(function () { fail("Không tra được mã vạch, hãy thử lại."); });
  });

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("counted-") !== 0 || input.value.trim() === "") return;
    if (!/^\d+$/.test(input.value.trim())) { status.textContent = "Số đếm phải là số nguyên không âm."; status.className = "negative"; return; }
    send({product_id: parseInt(input.name.slice(8), 10), counted: parseInt(input.value, 10)}, null);
  });
})();
