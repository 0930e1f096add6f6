// Quoting for the generated scripts. Command names, flags and values go in bare (and are
// checked to need no quoting); descriptions go in single quotes, escaped for each shell.

/** A word the scripts may write unquoted; anything else is a mistake in a table. */
export function shellWord(word: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:+-]*$|^-{1,2}[A-Za-z0-9][A-Za-z0-9-]*$/.test(word)) throw new Error(`completion: ${JSON.stringify(word)} is not a plain word`);
  return word;
}

/** Single quotes for zsh (and bash): a quote inside closes, escapes and reopens them. */
export function zshQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Single quotes for fish, where \\ and \' are the only escapes. */
export function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
