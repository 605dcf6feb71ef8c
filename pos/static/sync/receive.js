// Receiving a transfer by scanning: each scan of a line's barcode adds one to its count;
// counts can still be typed. A code that is not on the transfer is said, never counted.
document.addEventListener("DOMContentLoaded", () => {
  const scan = document.getElementById("receive-scan");
  if (!scan) return;
  const status = document.getElementById("receive-scan-status");
  const lines = Array.from(document.querySelectorAll("input[data-codes]"));
  scan.focus();
  scan.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const code = scan.value.trim();
    scan.value = "";
    if (!code) return;
    const input = lines.find((line) => line.dataset.codes.split(" ").includes(code));
    if (!input) {
      status.textContent = status.dataset.unknown.replace("{code}", code);
      status.classList.add("error");
      return;
    }
    input.value = String((parseInt(input.value, 10) || 0) + 1);
    status.textContent = `${input.dataset.name}: ${input.value}`;
    status.classList.remove("error");
  });
});
