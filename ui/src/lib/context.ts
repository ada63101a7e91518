// Typed Svelte contexts: the App sets them once, components read them.
import { getContext, setContext } from "svelte";
import type { Backend } from "./backend";
import type { I18n } from "./locale.svelte";
import type { PrintRequests } from "./print";

const BACKEND = Symbol("backend");
const I18N = Symbol("i18n");
const PRINT_REQUESTS = Symbol("printRequests");

export function setBackend(backend: Backend): void {
  setContext(BACKEND, backend);
}

export function getBackend(): Backend {
  const backend = getContext<Backend | undefined>(BACKEND);
  if (!backend) throw new Error("Backend context missing: render inside <App>");
  return backend;
}

export function setI18n(i18n: I18n): void {
  setContext(I18N, i18n);
}

export function getI18n(): I18n {
  const i18n = getContext<I18n | undefined>(I18N);
  if (!i18n) throw new Error("I18n context missing: render inside <App>");
  return i18n;
}

export function setPrintRequests(requests: PrintRequests): void {
  setContext(PRINT_REQUESTS, requests);
}

export function getPrintRequests(): PrintRequests {
  const requests = getContext<PrintRequests | undefined>(PRINT_REQUESTS);
  if (!requests) throw new Error("PrintRequests context missing: render inside <App>");
  return requests;
}

/**
 * The contexts the App would set, as a map for Svelte's `mount` (and
 * testing-library's `render`): to render one component on its own in a test.
 */
export function contextMap(values: { backend?: Backend; i18n?: I18n; printRequests?: PrintRequests }): Map<symbol, unknown> {
  const map = new Map<symbol, unknown>();
  if (values.backend) map.set(BACKEND, values.backend);
  if (values.i18n) map.set(I18N, values.i18n);
  if (values.printRequests) map.set(PRINT_REQUESTS, values.printRequests);
  return map;
}
