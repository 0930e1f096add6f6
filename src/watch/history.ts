// The samples a watch keeps for its live view (sparklines over the last HISTORY_SAMPLES), each
// cut to what the view reads (`retain`): a watch runs for hours, so this is its memory.

/** Samples the live view keeps, for its sparklines. */
export const HISTORY_SAMPLES = 120;

export class History<R> {
  readonly #items: R[] = [];

  constructor(
    private readonly retain: (r: R) => R = (r) => r,
    readonly max = HISTORY_SAMPLES,
  ) {}

  push(r: R): void {
    this.#items.push(this.retain(r));
    if (this.#items.length > this.max) this.#items.shift();
  }

  get items(): readonly R[] {
    return this.#items;
  }
}
