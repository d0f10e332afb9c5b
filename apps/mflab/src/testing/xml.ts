/**
 * A small XML well-formedness checker for the report's tests (no XML parser is installed): it
 * tokenizes tags, checks that they nest and close, that there is one root element, that
 * attributes are quoted and not repeated, and that `&` only starts a known entity. It returns
 * the elements it saw so that tests can count marks. Not part of the package build.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Index of the parent element in {@link XmlDocument.elements}; −1 for the root. */
  parent: number;
}

export interface XmlDocument {
  root: string;
  elements: XmlElement[];
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;
const ATTRIBUTE = /\s+([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("[^"<]*"|'[^'<]*')/y;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/y;

function checkText(text: string, where: number): void {
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(text)) throw new Error(`XML: bad entity reference at offset ${where + i}: ${JSON.stringify(text.slice(i, i + 12))}`);
  }
}

/** Parses `xml` far enough to prove it well-formed; throws an Error saying where it is not. */
export function parseXml(xml: string): XmlDocument {
  const stack: string[] = [];
  const openIndex: number[] = [];
  const elements: XmlElement[] = [];
  let root: string | null = null;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    checkText(text, i);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`XML: text outside the root at offset ${i}`);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) throw new Error(`XML: unclosed comment at offset ${lt}`);
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end < 0) throw new Error(`XML: unclosed CDATA at offset ${lt}`);
      i = end + 3;
    } else if (xml.startsWith('<?', lt) || xml.startsWith('<!', lt)) {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw new Error(`XML: unclosed declaration at offset ${lt}`);
      i = end + 1;
    } else if (xml.startsWith('</', lt)) {
      const end = xml.indexOf('>', lt);
      const name = xml.slice(lt + 2, end).trim();
      const open = stack.pop();
      openIndex.pop();
      if (open !== name) throw new Error(`XML: </${name}> at offset ${lt} closes <${open ?? 'nothing'}>`);
      i = end + 1;
    } else {
      const nameMatch = /^<([^\s/>]+)/.exec(xml.slice(lt, lt + 200));
      if (nameMatch === null || !NAME.test(nameMatch[1])) throw new Error(`XML: bad tag at offset ${lt}`);
      const name = nameMatch[1];
      let j = lt + 1 + name.length;
      const attributes: Record<string, string> = {};
      for (;;) {
        ATTRIBUTE.lastIndex = j;
        const m = ATTRIBUTE.exec(xml);
        if (m === null) break;
        if (m[1] in attributes) throw new Error(`XML: attribute ${m[1]} repeated on <${name}> at offset ${lt}`);
        const value = m[2].slice(1, -1);
        checkText(value, j);
        attributes[m[1]] = value;
        j = ATTRIBUTE.lastIndex;
      }
      while (/\s/.test(xml[j] ?? '')) j++;
      const selfClosing = xml.startsWith('/>', j);
      if (!selfClosing && xml[j] !== '>') throw new Error(`XML: malformed tag <${name}> at offset ${lt} (at ${JSON.stringify(xml.slice(j, j + 20))})`);
      if (stack.length === 0) {
        if (root !== null) throw new Error(`XML: a second root element <${name}> at offset ${lt}`);
        root = name;
      }
      elements.push({ name, attributes, parent: openIndex.length > 0 ? openIndex[openIndex.length - 1] : -1 });
      if (!selfClosing) {
        stack.push(name);
        openIndex.push(elements.length - 1);
      }
      i = j + (selfClosing ? 2 : 1);
    }
  }
  if (stack.length > 0) throw new Error(`XML: <${stack[stack.length - 1]}> is never closed`);
  if (root === null) throw new Error('XML: no root element');
  return { root, elements };
}
