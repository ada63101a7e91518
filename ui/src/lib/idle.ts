// The idle lock's clock: after the configured minutes without the doctor
// touching the window, the App locks the screen (Login.svelte's lock mode).
// Activity only moves a timestamp; one timer checks it when it is due, so a
// moving mouse costs nothing.

const ACTIVITY = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"] as const;

/**
 * Calls `onIdle` once, after `minutes` without input in `target`. Returns
 * the function that stops watching (call it on lock and on logout).
 */
export function watchIdle(target: Window, minutes: number, onIdle: () => void): () => void {
  const limit = minutes * 60_000;
  let last = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const seen = () => {
    last = Date.now();
  };
  const check = () => {
    const idle = Date.now() - last;
    if (idle >= limit) {
      stop();
      onIdle();
    } else {
      timer = setTimeout(check, limit - idle);
    }
  };
  function stop() {
    clearTimeout(timer);
    for (const type of ACTIVITY) target.removeEventListener(type, seen, { capture: true });
  }
  for (const type of ACTIVITY) target.addEventListener(type, seen, { capture: true, passive: true });
  timer = setTimeout(check, limit);
  return stop;
}
