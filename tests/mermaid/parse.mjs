// Parse each Mermaid diagram given as a file argument with Mermaid's own parser
// (the one GitHub's renderer uses). Prints one JSON line per file:
// {"file", "ok", "type" | "error"}. Exit 1 if any failed to parse.
// Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom gives one.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    const parsed = await mermaid.parse(readFileSync(file, "utf8"));
    console.log(JSON.stringify({ file, ok: true, type: parsed.diagramType }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ file, ok: false, error: String(error.message || error) }));
  }
}
process.exit(failed ? 1 : 0);
