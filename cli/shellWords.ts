/**
 * Command lines the CLI prints for a user to paste (e.g. `train`'s "evaluate: sfl-market compare
 * ..."): each word quoted for a POSIX shell when it needs it, so the line works as printed.
 */
export function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(words: readonly string[]): string {
  return words.map(shellWord).join(" ");
}
