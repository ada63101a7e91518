// Fails the build when ui/dist would break under the app's Content-Security-Policy
// (script-src 'self'; style-src 'self'): no inline <script> or <style>, no
// style="" attributes, no javascript: URLs in the HTML the shell embeds.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
const problems = [];

for (const file of readdirSync(dist).filter((name) => name.endsWith(".html"))) {
  const html = readFileSync(join(dist, file), "utf8");
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const [, attributes, body] = match;
    if (!/\bsrc=/.test(attributes) || body.trim() !== "") problems.push(`${file}: inline <script>`);
  }
  if (/<style\b/i.test(html)) problems.push(`${file}: inline <style>`);
  if (/\sstyle\s*=/i.test(html)) problems.push(`${file}: style attribute`);
  if (/\son[a-z]+\s*=/i.test(html)) problems.push(`${file}: inline event handler`);
  if (/javascript:/i.test(html)) problems.push(`${file}: javascript: URL`);
}

if (problems.length > 0) {
  console.error(`ui/dist violates the Content-Security-Policy:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("ui/dist: no inline script or style (CSP ok)");
