import { mount } from "svelte";
import { isTauri } from "@tauri-apps/api/core";
import App from "./App.svelte";
import { TauriBackend, type Backend } from "./lib/backend";
import "./app.css";

async function chooseBackend(): Promise<Backend> {
  // `npm run dev` in a plain browser has no Tauri shell: use the sample data.
  // The condition is false in production builds, so the fake (and its sample
  // patients) is not even bundled into ui/dist.
  if (import.meta.env.DEV && !isTauri()) {
    const { FakeBackend } = await import("./lib/fakeBackend");
    // A slower refresh, so the cached chart and its "updating" state can be seen.
    return new FakeBackend({ delayMs: 300, delays: { refreshPatient: 1500 } });
  }
  return new TauriBackend();
}

const target = document.getElementById("app");
if (!target) throw new Error("#app element missing from index.html");

void chooseBackend().then((backend) => mount(App, { target, props: { backend } }));
