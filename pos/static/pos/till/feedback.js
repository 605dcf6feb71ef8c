/* One status line and a beep: a cashier looks at the goods, not the screen. */

import { ui } from "./dom.js";

let statusTimer = null;

/** One message line for the cashier; errors and warnings stay until the next message. */
export function setStatus(text, kind, action) {
  clearTimeout(statusTimer);
  ui.status.replaceChildren();
  ui.status.className = "pos-status is-" + (kind || "info");
  ui.status.dataset.kind = kind || "info";
  const span = document.createElement("span");
  span.textContent = text;
  ui.status.appendChild(span);
  if (action) {
    const btn = document.createElement("button");
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

let audio = null;

/** Browsers only allow sound after a gesture; create the context on the first key or touch. */
export function unlockAudio() {
  if (audio) return;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (Ctx) { try { audio = new Ctx(); } catch (e) { audio = null; } }
}

/** A low buzz says "that scan failed" (or "look at the screen"); a short high one, "done". */
export function beep(kind) {
  if (!audio || audio.state !== "running") return;
  try {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = kind === "error" ? 220 : kind === "warn" ? 440 : 1400;
    gain.gain.value = 0.06;
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (kind === "error" ? 0.35 : kind === "warn" ? 0.2 : 0.06));
  } catch (e) { /* sound is a nicety */ }
}

export function fail(message) {
  setStatus(message, "error");
  beep("error");
}
