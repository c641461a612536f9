/** Levenshtein distance, for "a layer with a similar name exists" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * Candidates close to `name`, nearest first, at most four. As in Elm, short names allow one edit
 * and longer ones two, so the suggestions stay plausible.
 */
export function nearbyNames(name: string, candidates: Iterable<string>): string[] {
  const limit = name.length < 3 ? 1 : 2;
  const lower = name.toLowerCase();
  return [...new Set(candidates)]
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter(({ distance }) => distance <= limit)
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .slice(0, 4)
    .map(({ candidate }) => candidate);
}
