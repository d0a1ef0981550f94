// What the server sends (KisFeed.Web/WireTypes.cs). Chart times ("ts", "from", "to") are KST wall-clock seconds
// written as UTC seconds, so the chart's axis reads Korean time in any browser.

export type VenueName = 'krx' | 'nxt' | 'unified';
export const VENUES: readonly VenueName[] = ['krx', 'nxt', 'unified'];

export interface Row {
  code: string;
  name: string;
  venue: VenueName;
  ts: number;
  time: string;
  buy: number;
  sell: number;
  net: number;
  netVol: number;
  /** Change of net over the minute before this update; null when the data does not cover it (shown as –). */
  d1: number | null;
  d5: number | null;
  price: number | null;
  chg: number | null;
  updates: number;
  recv: number;
  seq: number;
}

export interface Gap {
  id: number;
  from: number;
  to: number;
  venues: VenueName[];
  codes: string[];
  reason: string;
  healing: 'missing' | 'healed' | 'partly';
  missingFrom: number | null;
  missingTo: number | null;
}

export interface Status {
  mode: 'live' | 'replay';
  state: string;
  reconnects: number;
  gaps: number;
  drops: number;
  /** True: from a simulator; false: the market; null: the source does not say (shown as unknown, never as live). */
  simulated: boolean | null;
  source: string;
  serverTime: number;
}

export interface Snapshot { seq: number; date: string; rows: Row[]; gaps: Gap[]; status: Status; }
/** `sent`: server clock (Unix ms) when the batch was collected, for the benchmark's split of the latency. */
export interface Batch { seq: number; rows: Row[]; gaps: Gap[]; sent: number; }

export interface Point { ts: number; net: number; buy: number; sell: number; flow: number; }
/** A price of the day's price line (the price source's: inquire-price stck_prpr). */
export interface PricePoint { ts: number; price: number; }
export interface Bar { ts: number; flow: number; }
export interface Session { name: string; from: number; to: number; }

export interface Day {
  code: string;
  name: string;
  date: string;
  curve: Record<VenueName, Point[]>;
  bars: Record<VenueName, Bar[]>;
  gaps: Gap[];
  sessions: Session[];
  price: PricePoint[];
}

export interface Meta {
  mode: 'live' | 'replay';
  date: string;
  codes: { code: string; name: string }[];
  venues: VenueName[];
  priceSource: string;
}

export function gapApplies(gap: Gap, code: string, venue: VenueName): boolean {
  return (gap.codes.length === 0 || gap.codes.includes(code)) && (gap.venues.length === 0 || gap.venues.includes(venue));
}

/** KRW → 억원 (100 M won). */
export const eok = (won: number): number => won / 1e8;
