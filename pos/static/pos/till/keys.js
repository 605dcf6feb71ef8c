/* Hotkeys (F2 search, F4 pay, F8 clear, F9 close shift, + − ↑ ↓ Delete) and keeping focus on the scan field. */

import { changeQty, findLine, moveSelection, removeLine, requestClear } from "./cart.js";
import { openCloseShift } from "./closeshift.js";
import { anyDialogOpen, focusScan, isEditable, ui } from "./dom.js";
import { unlockAudio } from "./feedback.js";
import { openPayment } from "./payment.js";
import { tracker } from "./scan.js";
import { focusSearch } from "./search.js";
import { state } from "./store.js";

const HOTKEY_DELAY_MS = 60; // "+"/"-" wait this long to be sure they do not start a scan

function onHotkey(e) {
  if (e.defaultPrevented || e.isComposing || tracker.partOfBurst) return;
  const key = e.key;
  const dialogOpen = anyDialogOpen();
  if (key === "F2" || key === "F4" || key === "F8" || key === "F9") {
    e.preventDefault();
    if (dialogOpen) return;
    if (key === "F2") focusSearch();
    if (key === "F4") openPayment();
    if (key === "F8") requestClear();
    if (key === "F9") openCloseShift();
    return;
  }
  if (dialogOpen || e.ctrlKey || e.altKey || e.metaKey) return;
  const target = e.target;
  const onEmptyScan = target === ui.scan && ui.scan.value === "";
  if (!onEmptyScan && isEditable(target)) return;
  if (key === "+" || key === "-") {
    e.preventDefault(); // keep the character out of the scan field
    const step = key === "+" ? 1 : -1;
    const pending = { cancelled: false };
    tracker.pendingHotkey = pending;
    // Wait: if more keys follow at scanner speed, this was the first character of a scan.
    setTimeout(function () {
      if (tracker.pendingHotkey === pending) tracker.pendingHotkey = null;
      if (pending.cancelled) return;
      const line = findLine(state.selected);
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

export function wireKeys() {
  document.addEventListener("keydown", onHotkey);
  document.addEventListener("focusout", function () {
    setTimeout(function () {
      const a = document.activeElement;
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
}
