// A progress line for long work: a bar, a rate and an ETA, redrawn on stderr at most
// a few times a second. On a non-terminal stderr it prints a plain line every ~10 s.

/** Tracks done/total work units and renders them on stderr. */
export class Progress {
  private start = Date.now();
  private lastDraw = 0;
  private done = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private total: number | undefined,
    private readonly unit = 'it',
  ) {}

  /** Sets the amount of work done so far and an optional note (e.g. the loss). */
  update(done: number, note = ''): void {
    this.done = done;
    const now = Date.now();
    if (now - this.lastDraw < (this.tty ? 150 : 10_000)) return;
    this.lastDraw = now;
    this.draw(note);
  }

  /** Draws the final state and ends the line. */
  finish(note = ''): void {
    this.draw(note);
    if (this.tty) process.stderr.write('\n');
  }

  private draw(note: string): void {
    const secs = (Date.now() - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    let bar = '';
    let eta = '';
    if (this.total) {
      const f = Math.min(1, this.done / this.total);
      const w = 24;
      bar = `[${'#'.repeat(Math.round(f * w))}${'.'.repeat(w - Math.round(f * w))}] ${(f * 100).toFixed(0)}% `;
      if (rate > 0) eta = ` ETA ${fmt((this.total - this.done) / rate)}`;
    }
    const text = `${this.label} ${bar}${this.done}${this.total ? '/' + this.total : ''} ${this.unit} ${rate.toFixed(1)} ${this.unit}/s${eta}${note ? ' ' + note : ''}`;
    process.stderr.write(this.tty ? `\r\x1b[2K${text}` : text + '\n');
  }
}

function fmt(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
