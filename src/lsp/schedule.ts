/**
 * When the server re-checks a changed document: on a timer, which an edit arriving meanwhile
 * replaces. A check is synchronous, and on a large document (up to the front end's limits) takes
 * a few hundred milliseconds; edits that queue up behind one are then checked once, at their last
 * version, instead of one by one, so hover and completion wait for one check at most. A small
 * document is checked as soon as its edit is applied, as before.
 */
export class CheckScheduler {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly check: (uri: string) => void) {}

  changed(uri: string): void {
    clearTimeout(this.pending.get(uri));
    this.pending.set(
      uri,
      setTimeout(() => {
        this.pending.delete(uri);
        this.check(uri);
      }),
    );
  }

  closed(uri: string): void {
    clearTimeout(this.pending.get(uri));
    this.pending.delete(uri);
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
