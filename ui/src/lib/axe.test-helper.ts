// Test support, never part of the app bundle: runs axe-core on what is
// rendered and fails with every violation spelled out, so a failing run says
// which rule, where, and how to fix it without re-running anything.
import axe from "axe-core";
import { expect } from "vitest";

const OPTIONS: axe.RunOptions = {
  rules: {
    // jsdom does no layout and no cascade from app.css, so axe cannot
    // compute colour contrast here (it reports everything "incomplete").
    // contrast.test.ts checks the colour pairs of app.css instead.
    "color-contrast": { enabled: false },
  },
};

/** One line per failing node: rule id, impact, target selector and axe's help. */
export function describeViolations(violations: axe.Result[]): string {
  return violations
    .flatMap((violation) =>
      violation.nodes.map(
        (node) =>
          `${violation.id} (${violation.impact ?? "unknown"}) at ${node.target.join(" ")}: ${violation.help}\n    ${node.failureSummary?.replace(/\n/g, "\n    ") ?? ""}`,
      ),
    )
    .join("\n");
}

/**
 * jsdom has no layout and no canvas, which some axe checks need. Without
 * these stand-ins those rules end in an error and are skipped silently (see
 * `erroredRules`): `landmark-one-main` and `page-has-heading-one` ask which
 * elements lie under the corners of the viewport (none, in jsdom), and
 * `label-content-name-mismatch` draws text on a canvas to tell icon-font
 * ligatures from words (here every glyph draws, so no text is an icon, which
 * is true of this app: it uses no icon fonts).
 */
function standInsForJsdom(): void {
  if (typeof document.elementFromPoint !== "function") {
    document.elementsFromPoint = () => [];
  }
  const canvas = HTMLCanvasElement.prototype;
  if (!(canvas as { axeStandIn?: boolean }).axeStandIn) {
    Object.assign(canvas, {
      axeStandIn: true,
      getContext(this: HTMLCanvasElement) {
        return {
          canvas: this,
          font: "",
          textAlign: "left",
          textBaseline: "top",
          measureText: (text: string) => ({ width: text.length * 10 }),
          fillText: () => {},
          clearRect: () => {},
          getImageData: (_x: number, _y: number, width: number, height: number) => ({
            data: new Uint8ClampedArray(Math.max(1, Math.ceil(width) * Math.ceil(height)) * 4).fill(255),
          }),
        };
      },
    });
  }
}

/** Rules axe could not run ("Axe encountered an error"): a skipped rule must not pass as clean. */
function erroredRules(incomplete: axe.Result[]): string {
  return incomplete
    .filter((result) => result.nodes.some((node) => [...node.any, ...node.all, ...node.none].some((check) => check.id === "error-occurred")))
    .map((result) => result.id)
    .join(", ");
}

/** Fails the test when axe finds any violation in `context` (the whole document by default), or could not check something. */
export async function expectNoAxeViolations(context: axe.ElementContext = document): Promise<void> {
  standInsForJsdom();
  const results = await axe.run(context, OPTIONS);
  expect(describeViolations(results.violations), "axe-core found accessibility violations").toBe("");
  expect(erroredRules(results.incomplete), "axe-core could not run these rules").toBe("");
}
