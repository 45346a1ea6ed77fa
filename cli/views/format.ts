// How views print numbers, as Linkerd's viz does: 98.20%, 4.4rps, 12ms; '' (printed as -) when unknown.

export const percent = (f: number | undefined): string => (f === undefined ? '' : `${(100 * f).toFixed(2)}%`);
export const rps = (n: number | undefined): string => (n === undefined ? '' : `${n.toFixed(1)}rps`);
export const ms = (n: number | undefined): string => (n === undefined ? '' : `${n < 10 ? n.toFixed(1) : Math.round(n)}ms`);
export const count = (n: number | undefined): string => (n === undefined ? '' : String(Math.round(n)));
