// The demo's data, shared by the sample apps. Like emojivoto's doughnut, one book always fails: `stock` has
// no record of it, so asking for it fails at every hop and the mesh's success rate shows it.

export interface CatalogEntry {
  id: string;
  title: string;
  author: string;
}

export const CATALOG: readonly CatalogEntry[] = [
  { id: '1', title: 'The Left Hand of Darkness', author: 'Ursula K. Le Guin' },
  { id: '2', title: 'Kindred', author: 'Octavia E. Butler' },
  { id: '3', title: 'Solaris', author: 'Stanisław Lem' },
  { id: '4', title: 'The Dispossessed', author: 'Ursula K. Le Guin' },
];

/** In the catalog, missing from the stock: every request for it fails. */
export const BROKEN_BOOK: CatalogEntry = { id: '99', title: 'The Lost Manuscript', author: 'Unknown' };

/** Copies on the shelf, by book id; BROKEN_BOOK is absent on purpose. */
export const STOCK_COUNTS: ReadonlyMap<string, number> = new Map([
  ['1', 12],
  ['2', 7],
  ['3', 3],
  ['4', 0],
]);

export function findBook(id: string): CatalogEntry | undefined {
  return id === BROKEN_BOOK.id ? BROKEN_BOOK : CATALOG.find((book) => book.id === id);
}
