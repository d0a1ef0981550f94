import { eok, type Row, type VenueName } from './wire';

const VENUE_LABEL: Record<VenueName, string> = { krx: 'KRX', nxt: 'NXT', unified: '통합' };

/** One stock: its rows per venue. */
interface Stock {
  code: string;
  name: string;
  rows: Partial<Record<VenueName, Row>>;
  tr: HTMLTableRowElement;
  cells: Map<string, HTMLTableCellElement>;
}

type SortKey = string; // 'name' | 'price' | 'chg' | `${field}-${venue}` | 'd1' | 'd5'

const fmt1 = new Intl.NumberFormat('ko-KR', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const fmtInt = new Intl.NumberFormat('ko-KR', { maximumFractionDigits: 0 });

/** The sortable ranking: one row per stock, buy / sell / net per venue, Δ1m / Δ5m of the primary venue. */
export class Ranking {
  private readonly stocks = new Map<string, Stock>();
  private sortKey: SortKey;
  private descending = true;
  private selected: string | null = null;
  private readonly primary: VenueName;
  private readonly venues: VenueName[];

  constructor(
    private readonly head: HTMLElement,
    private readonly body: HTMLElement,
    venues: VenueName[],
    private readonly onSelect: (code: string) => void,
  ) {
    this.primary = venues.includes('unified') ? 'unified' : venues[0];
    // The primary venue (the default sort) comes first, then KRX before NXT.
    const order: VenueName[] = ['unified', 'krx', 'nxt'];
    this.venues = [this.primary, ...order.filter(v => v !== this.primary && venues.includes(v))];
    this.sortKey = `net-${this.primary}`;
    this.renderHead();
  }

  get primaryVenue(): VenueName { return this.primary; }

  row(code: string, venue: VenueName): Row | undefined { return this.stocks.get(code)?.rows[venue]; }

  codes(): string[] { return [...this.body.children].map(tr => (tr as HTMLElement).dataset.code!); }

  ensure(code: string, name: string): void {
    if (this.stocks.has(code)) return;
    const tr = document.createElement('tr');
    tr.dataset.code = code;
    const cells = new Map<string, HTMLTableCellElement>();
    const add = (key: string, cls = ''): void => {
      const td = document.createElement('td');
      td.dataset.field = key;
      if (cls) td.className = cls;
      tr.appendChild(td);
      cells.set(key, td);
    };
    // Key columns first (name, price, change, net per venue, Δ1m, Δ5m); buy and sell only on wide screens (class
    // 'wide'), and on a phone only name, price, the primary net and Δ5m (the rest have class 'narrow-hide').
    add('name', 'name');
    add('price');
    add('chg', 'narrow-hide');
    for (const v of this.venues) add(`net-${v}`, v === this.primary ? 'net' : 'net narrow-hide');
    add('d1', 'narrow-hide');
    add('d5');
    for (const v of this.venues) {
      add(`buy-${v}`, 'buy wide');
      add(`sell-${v}`, 'sell wide');
    }
    cells.get('name')!.innerHTML = '';
    const strong = document.createElement('span');
    strong.textContent = name;
    const small = document.createElement('small');
    small.textContent = code;
    cells.get('name')!.append(strong, small);
    tr.addEventListener('click', () => this.onSelect(code));
    this.body.appendChild(tr);
    this.stocks.set(code, { code, name, rows: {}, tr, cells });
  }

  select(code: string): void {
    this.selected = code;
    for (const s of this.stocks.values()) s.tr.classList.toggle('selected', s.code === code);
  }

  /** Applies rows (latest last); flashes what changed, then re-sorts once. */
  apply(rows: Row[], flash: boolean): void {
    for (const r of rows) {
      this.ensure(r.code, r.name);
      const s = this.stocks.get(r.code)!;
      const before = s.rows[r.venue];
      if (before && before.seq > r.seq && r.seq !== 0) continue;
      s.rows[r.venue] = r;
      // Only the net cell flashes: a table of flashing cells keeps the page repainting (costly on a phone).
      this.setCell(s, `buy-${r.venue}`, eok(r.buy), false);
      this.setCell(s, `sell-${r.venue}`, eok(r.sell), false);
      this.setCell(s, `net-${r.venue}`, eok(r.net), flash && before?.net !== r.net, true);
      if (r.price !== null) {
        this.setText(s, 'price', fmtInt.format(r.price), r.price, false);
        const chg = r.chg ?? 0;
        const td = this.setText(s, 'chg', `${chg > 0 ? '+' : ''}${chg.toFixed(2)}%`, chg, false);
        td.className = `narrow-hide ${chg > 0 ? 'up' : chg < 0 ? 'down' : ''}`.trim();
      }

      if (r.venue === this.primary) {
        this.setWindow(s, 'd1', r.d1);
        this.setWindow(s, 'd5', r.d5);
      }

      s.tr.dataset.updated = String(r.seq);
    }

    this.sort();
  }

  private setText(s: Stock, key: string, text: string, value: number, flash: boolean): HTMLTableCellElement {
    const td = s.cells.get(key)!;
    td.textContent = text;
    td.dataset.value = String(value);
    if (flash) this.flash(td);
    return td;
  }

  /** A window's change, or a grey dash (no data-value: sorts last) while the data does not cover the window. */
  private setWindow(s: Stock, key: string, won: number | null): void {
    if (won !== null) {
      this.setCell(s, key, eok(won), false, true);
      s.cells.get(key)!.removeAttribute('title');
      return;
    }

    const td = s.cells.get(key)!;
    td.textContent = '–';
    delete td.dataset.value;
    td.dataset.base ??= td.className.split(' ').filter(c => c !== 'buy' && c !== 'sell' && c !== 'na').join(' ');
    td.className = `${td.dataset.base} na`.trim();
    td.title = 'not covered yet: the board has not seen the whole window (or a gap inside it is not healed)';
  }

  private setCell(s: Stock, key: string, value: number, flash: boolean, signed = false): void {
    const td = s.cells.get(key)!;
    const text = (signed && value > 0 ? '+' : '') + fmt1.format(value);
    td.textContent = text;
    td.dataset.value = String(Math.round(value * 1e8));
    if (signed) {
      td.dataset.base ??= td.className.split(' ').filter(c => c !== 'buy' && c !== 'sell' && c !== 'na').join(' ');
      td.className = `${td.dataset.base} ${value > 0 ? 'buy' : value < 0 ? 'sell' : ''}`.trim();
    }
    if (flash) this.flash(td);
  }

  private flash(td: HTMLElement): void {
    // Alternate two identical animations so a new update restarts the flash.
    const next = td.classList.contains('flash-a') ? 'flash-b' : 'flash-a';
    td.classList.remove('flash-a', 'flash-b');
    td.classList.add(next);
  }

  private value(s: Stock, key: SortKey): number | string {
    if (key === 'name') return s.name;
    const td = s.cells.get(key);
    const v = td?.dataset.value;
    return v === undefined ? Number.NEGATIVE_INFINITY : Number(v);
  }

  private sort(): void {
    const list = [...this.stocks.values()];
    const dir = this.descending ? -1 : 1;
    list.sort((a, b) => {
      const x = this.value(a, this.sortKey), y = this.value(b, this.sortKey);
      if (typeof x === 'string' || typeof y === 'string') return String(x).localeCompare(String(y), 'ko') * dir;
      return (x - y) * dir || a.code.localeCompare(b.code);
    });
    let i = 0;
    for (const s of list) {
      if (this.body.children[i] !== s.tr) this.body.insertBefore(s.tr, this.body.children[i] ?? null);
      i++;
    }
  }

  private renderHead(): void {
    // One header row, pinned: every label names its venue, so no group row is needed.
    const top = document.createElement('tr');
    const th = (text: string, key: string, cls = '', title = ''): void => {
      const cell = document.createElement('th');
      cell.textContent = text;
      if (cls) cell.className = cls;
      if (title) cell.title = title;
      cell.dataset.sort = key;
      cell.addEventListener('click', () => {
        this.descending = this.sortKey === key ? !this.descending : key !== 'name';
        this.sortKey = key;
        this.renderSortMarks();
        this.sort();
      });
      top.appendChild(cell);
    };
    th('종목', 'name', 'name', 'stock');
    th('가격', 'price', '', 'price');
    th('등락%', 'chg', 'narrow-hide', 'change vs the previous close');
    for (const v of this.venues) th(`${VENUE_LABEL[v]} 순매수`, `net-${v}`, v === this.primary ? 'net' : 'net narrow-hide', `net buy, ${VENUE_LABEL[v]}`);
    th(`Δ1m`, 'd1', 'narrow-hide', `change of ${VENUE_LABEL[this.primary]} net over 1 minute`);
    th(`Δ5m`, 'd5', '', `change of ${VENUE_LABEL[this.primary]} net over 5 minutes`);
    for (const v of this.venues) {
      th(`${VENUE_LABEL[v]} 매수`, `buy-${v}`, 'buy wide', `buy, ${VENUE_LABEL[v]}`);
      th(`${VENUE_LABEL[v]} 매도`, `sell-${v}`, 'sell wide', `sell, ${VENUE_LABEL[v]}`);
    }
    this.head.replaceChildren(top);
    this.renderSortMarks();
  }

  private renderSortMarks(): void {
    for (const cell of this.head.querySelectorAll<HTMLElement>('th[data-sort]')) {
      if (cell.dataset.sort === this.sortKey) cell.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
      else cell.removeAttribute('aria-sort');
    }
  }

  get selectedCode(): string | null { return this.selected; }
}
