// Test referee for CoreSleuth's Mermaid flowcharts: runs Mermaid's own parser on each diagram.
//
//   node check-mermaid.mjs a.mmd b.mmd     one diagram per file; "-" or no argument reads stdin
//   node check-mermaid.mjs --json          stdin: a JSON array of diagram texts; stdout: a JSON
//                                          array of results (what the C# tests use: one node
//                                          start-up for many diagrams)
//
// Prints each invalid diagram's parse error (Mermaid's message names the line) and exits 1 when
// any diagram is invalid, 2 on a usage or set-up error.
//
// Mermaid 11 is ESM and its sanitiser (DOMPurify) needs a DOM when the module loads, so jsdom's
// window is made global before Mermaid is imported. Only parsing runs here: laying out needs a
// browser's text measurement. What a label would show is worked out by replaying the steps
// Mermaid's renderer applies to a flowchart label (see displayedText), so tests can compare it
// with what CoreSleuth meant to show.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
const { default: createDOMPurify } = await import('dompurify');
const purify = createDOMPurify(dom.window);

mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

// The steps of Mermaid 11's renderer (common.ts, createText.ts, mermaidAPI.ts), default config
// (htmlLabels on, securityLevel strict, plain "..." labels rather than markdown strings).
const decodeEntities = (s) => s.replace(/ﬂ°°/g, '&#').replace(/ﬂ°/g, '&').replace(/¶ß/g, ';');
const sanitizeText = (s) => (s ? purify.sanitize(purify.sanitize(s), { FORBID_TAGS: ['style'] }).toString() : s);
const nonMarkdownToHTML = (s) => (s ? `<p>${s.replace(/\\n|\n/g, '<br />')}</p>` : '');
const katex = /\$\$(.*?)\$\$/;
const icon = /(fa[bklrs]?):fa-([\w-]+)/;

/**
 * The text a node or edge label shows, and what else the renderer would make of it: a line
 * break, KaTeX, a Font Awesome icon, or HTML elements other than Mermaid's own <p> and <br>.
 */
function displayedText(parsedText, isNode) {
  const notes = [];
  // A node label is decoded and sanitised before createText; an edge label goes in as parsed.
  const text = isNode ? sanitizeText(decodeEntities(parsedText)) : parsedText;
  const html = decodeEntities(nonMarkdownToHTML(text));
  if (icon.test(html)) notes.push('icon');
  if ((isNode && katex.test(text)) || katex.test(html)) notes.push('katex');
  const div = document.createElement('div');
  div.innerHTML = sanitizeText(html);
  for (const el of div.querySelectorAll('*')) {
    if (el.localName === 'br') { el.replaceWith('\n'); notes.push('line break'); }
    else if (el.localName !== 'p') notes.push(`element <${el.localName}>`);
  }
  return { text: div.textContent, notes };
}

// mermaid.render() draws "Maximum text size in diagram exceeded" instead of a longer diagram
// (the default maxTextSize, which GitHub and GitLab keep); the parser does not check it.
const maxTextSize = 50000;

async function check(text) {
  if (text.length > maxTextSize)
    return { valid: false, error: `Maximum text size in diagram exceeded: ${text.length} characters, Mermaid renders at most ${maxTextSize}` };
  try {
    await mermaid.parse(text); // throws on a syntax error, an unknown diagram type, or more than maxEdges (500) edges
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const result = { valid: true, type: diagram.type };
    if (typeof diagram.db.getVertices === 'function') {
      result.vertices = [...diagram.db.getVertices().values()].map((v) => ({ id: v.id, parsed: v.text, labelType: v.labelType, ...displayedText(v.text ?? '', true) }));
      result.edges = diagram.db.getEdges().map((e) => ({ start: e.start, end: e.end, parsed: e.text, labelType: e.labelType, ...displayedText(e.text ?? '', false) }));
    }
    return result;
  } catch (e) {
    return { valid: false, error: String(e?.message ?? e) };
  }
}

const args = process.argv.slice(2);
if (args[0] === '--json') {
  let texts;
  try {
    texts = JSON.parse(readFileSync(0, 'utf8'));
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new Error('expected a JSON array of strings');
  } catch (e) {
    console.error(`check-mermaid: stdin: ${e.message}`);
    process.exit(2);
  }
  const results = [];
  for (const t of texts) results.push(await check(t));
  // exitCode rather than exit(): exit() would cut off stdout when it is a pipe.
  process.stdout.write(JSON.stringify(results));
  process.exitCode = results.every((r) => r.valid) ? 0 : 1;
} else {
  let invalid = 0;
  for (const name of args.length ? args : ['-']) {
    let text;
    try {
      text = readFileSync(name === '-' ? 0 : name, 'utf8');
    } catch (e) {
      console.error(`check-mermaid: ${name}: ${e.message}`);
      process.exit(2);
    }
    const r = await check(text);
    if (r.valid) console.log(`${name}: valid ${r.type}`);
    else { invalid++; console.log(`${name}: INVALID: ${r.error}`); }
  }
  process.exitCode = invalid ? 1 : 0;
}

