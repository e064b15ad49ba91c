/**
 * "Did you mean": the candidates closest to a mistyped word, for unknown commands and options.
 * Close means an edit distance (insertions, deletions, substitutions, swaps of neighbours) of at
 * most a third of the word's length (at least 1), or the word being a prefix of the candidate.
 */
export function closest(word: string, candidates: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const scored = candidates
    .map((c) => ({ c, d: c.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word, c) }))
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  const best = scored[0]?.d;
  return scored.filter((s) => s.d === best).map((s) => s.c);
}

/** `; did you mean X?` (or `X or Y?`), or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[], show = (c: string) => c): string {
  const near = closest(word, candidates).slice(0, 3).map(show);
  if (near.length === 0) return "";
  const list = near.length === 1 ? near[0] : `${near.slice(0, -1).join(", ")} or ${near.at(-1)}`;
  return `; did you mean ${list}?`;
}

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++)
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = v;
    }
  return d[rows * cols - 1];
}
