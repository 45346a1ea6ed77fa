// Port lists as operators write them in env and annotations: `25,587,8000-8100`.

export const PORT_LIST_FORM = 'a comma-separated list of ports and ranges, e.g. 25,587,8000-8100';

/** The ports, or undefined when the text is not a port list. */
export function parsePortList(text: string): Set<number> | undefined {
  const ports = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 65535 || from > to || to - from > 65535) return undefined;
    for (let p = from; p <= to; p++) ports.add(p);
  }
  return ports;
}
