/**
 * A small well-formedness check for the report's tests (we have no XML parser among our
 * dependencies): every tag is closed in order, attributes are quoted, and every "&" starts an
 * entity. HTML void elements are allowed unclosed. Returns the problems found (none = OK).
 */
const VOID = new Set(["meta", "br", "hr", "img", "input", "link"]);
const TAG = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[a-zA-Z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>/y;

export function wellFormedProblems(doc: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let k = 0;
  while (k < doc.length) {
    const ch = doc[k];
    if (ch === "&") {
      const m = /^&(amp|lt|gt|quot|#\d+);/.exec(doc.slice(k, k + 10));
      if (!m) problems.push(`bare & at ${k}: ${doc.slice(k, k + 20)}`);
      k++;
      continue;
    }
    if (ch !== "<") {
      k++;
      continue;
    }
    if (doc.startsWith("<!DOCTYPE html>", k)) {
      k += 15;
      continue;
    }
    TAG.lastIndex = k;
    const m = TAG.exec(doc);
    if (!m) {
      problems.push(`not a tag at ${k}: ${doc.slice(k, k + 40)}`);
      k++;
      continue;
    }
    const [all, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> at ${k} closes <${open}>`);
    } else if (!selfClosing && !VOID.has(name)) {
      stack.push(name);
    }
    k += all.length;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(" > ")}`);
  return problems;
}
