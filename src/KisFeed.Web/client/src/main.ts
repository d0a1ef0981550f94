import './style.css';

import { DayChart, type ChartProbe, type VenueChoice } from './chart';
import { Ranking } from './ranking';
import type { Batch, Day, Gap, Meta, Row, Snapshot, Status } from './wire';

/** What tests and the benchmark read (window.__kisBoard). */
interface BoardProbe {
  ready: boolean;
  events: number;
  lastSeq: number;
  snapshots: number;
  chart: ChartProbe;
  latencies: number[];
  /** With ?bench=1, per row drawn: record → batch collected on the server, and batch collected → frame on the page. */
  server: number[];
  page: number[];
  status: Status | null;
}

declare global {
  interface Window { __kisBoard: BoardProbe; }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const bench = new URLSearchParams(location.search).has('bench');

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** The status badge: simulated data always says so, live or replayed; a source that does not say is unknown, never LIVE. */
function modeBadge(s: Status): { text: string; title: string; kind: string } {
  const replay = s.mode === 'replay';
  if (s.simulated === true) {
    return { text: replay ? 'SIMULATED 모의 데이터 · REPLAY 기록' : 'SIMULATED 모의 데이터', title: 'simulated data, not the market', kind: 'simulated' };
  }
  if (s.simulated === null) {
    return { text: replay ? 'REPLAY 기록 · source unknown 출처 미상' : 'source unknown 출처 미상', title: 'the source does not say whether its data is simulated or live', kind: 'unknown' };
  }
  return replay
    ? { text: 'REPLAY 기록 · live data', title: 'recorded from the market', kind: 'replay' }
    : { text: 'LIVE 실시간', title: 'data from the market', kind: 'live' };
}

async function start(): Promise<void> {
  const meta = await getJson<Meta>('api/meta');
  $('price-note').textContent = `가격 price: ${meta.priceSource}`;
  const gaps = new Map<number, Gap>();
  let loading: Promise<void> | null = null;

  const ranking = new Ranking($('ranking-head'), $('ranking-body'), meta.venues, code => void select(code));
  for (const c of meta.codes) ranking.ensure(c.code, c.name);

  const initialVenue: VenueChoice = meta.venues.length === 1 ? meta.venues[0] : 'all';
  const chart = new DayChart($('chart'), initialVenue);
  const probe: BoardProbe = { ready: false, events: 0, lastSeq: 0, snapshots: 0, chart: chart.probe, latencies: [], server: [], page: [], status: null };
  window.__kisBoard = probe;

  const venueButtons = [...document.querySelectorAll<HTMLButtonElement>('#venues button')];
  const pressVenue = (v: VenueChoice): void => {
    for (const b of venueButtons) b.setAttribute('aria-pressed', String(b.dataset.venue === v));
  };
  for (const b of venueButtons) {
    const v = b.dataset.venue as VenueChoice;
    b.disabled = v !== 'all' && !meta.venues.includes(v);
    b.addEventListener('click', () => { chart.setVenue(v); pressVenue(v); });
  }
  pressVenue(initialVenue);

  async function select(code: string): Promise<void> {
    ranking.select(code);
    const name = meta.codes.find(c => c.code === code)?.name ?? code;
    $('chart-title').textContent = `${name} ${code} · ${meta.date}`;
    const task = (async () => {
      const day = await getJson<Day>(`api/day?code=${encodeURIComponent(code)}`);
      if (ranking.selectedCode !== code) return;
      chart.show(day, [...gaps.values()]);
      // Updates that arrived while the day was loading: the latest row per venue.
      for (const v of meta.venues) {
        const r = ranking.row(code, v);
        if (r) chart.update(r);
      }
    })();
    loading = task;
    await task;
    if (loading === task) loading = null;
  }

  function applyRows(rows: Row[], flash: boolean, sent = 0): void {
    ranking.apply(rows, flash);
    if (loading === null) for (const r of rows) chart.update(r);
    if (bench && rows.length > 0) {
      requestAnimationFrame(() => {
        const now = Date.now();
        for (const r of rows) {
          if (r.recv <= 0) continue;
          probe.latencies.push(now - r.recv);
          if (sent > 0) { probe.server.push(sent - r.recv); probe.page.push(now - sent); }
        }
        if (probe.latencies.length > 200_000) for (const a of [probe.latencies, probe.server, probe.page]) a.splice(0, 100_000);
      });
    }
  }

  function applyGaps(list: Gap[]): void {
    for (const g of list) {
      gaps.set(g.id, g);
      chart.addGap(g);
    }
  }

  function showStatus(s: Status): void {
    probe.status = s;
    const mode = $('st-mode');
    const badge = modeBadge(s);
    mode.textContent = badge.text;
    mode.title = badge.title;
    mode.className = `badge ${badge.kind}`;
    const state = $('st-state');
    state.textContent = s.state;
    state.dataset.state = s.state;
    $('st-reconnects').textContent = String(s.reconnects);
    $('st-gaps').textContent = String(s.gaps);
    $('st-drops').textContent = String(s.drops);
    $('st-source').textContent = s.source;
  }

  const clock = new Intl.DateTimeFormat('ko-KR', { timeZone: 'Asia/Seoul', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const tick = (): void => { $('st-clock').textContent = clock.format(new Date()); };
  tick();
  setInterval(tick, 1000);

  // The first stock is shown before the stream starts, so the day is drawn once and live updates extend it.
  const first = meta.codes[0]?.code;
  if (first) await select(first);

  // EventSource reconnects by itself and sends Last-Event-ID: the server then sends only what changed since.
  const events = new EventSource('api/events');
  events.addEventListener('snapshot', e => {
    const s = JSON.parse((e as MessageEvent<string>).data) as Snapshot;
    probe.snapshots++;
    probe.events++;
    probe.lastSeq = s.seq;
    applyGaps(s.gaps);
    applyRows(s.rows, false);
    showStatus(s.status);
    if (!ranking.selectedCode && s.rows.length > 0) void select(ranking.codes()[0]);
    probe.ready = true;
  });
  events.addEventListener('batch', e => {
    const b = JSON.parse((e as MessageEvent<string>).data) as Batch;
    probe.events++;
    probe.lastSeq = b.seq;
    applyGaps(b.gaps);
    applyRows(b.rows, true, b.sent);
    probe.ready = true;
  });
  events.addEventListener('status', e => showStatus(JSON.parse((e as MessageEvent<string>).data) as Status));
  events.addEventListener('open', () => { $('st-page').textContent = ''; });
  events.addEventListener('error', () => { $('st-page').textContent = 'page reconnecting…'; });
}

void start().catch((error: unknown) => {
  $('st-state').textContent = `error: ${String(error)}`;
});
