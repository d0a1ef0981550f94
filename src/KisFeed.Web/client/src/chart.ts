// The selected stock's day, drawn with TradingView Lightweight Charts. Its attribution is a line with a link under the
// chart (index.html), as the licence allows, so no logo sits on the per-minute bars.
import {
  createChart, createSeriesMarkers, HistogramSeries, LineSeries, TickMarkType,
  type IChartApi, type ISeriesApi, type ISeriesMarkersPluginApi, type LineData, type HistogramData,
  type SeriesMarker, type Time, type UTCTimestamp, type WhitespaceData,
} from 'lightweight-charts';

import { eok, gapApplies, VENUES, type Day, type Gap, type Row, type VenueName } from './wire';

export type VenueChoice = VenueName | 'all';

const LINE_COLOR: Record<VenueName, string> = { krx: '#6d3fc0', nxt: '#0b8a74', unified: '#20232b' };
const BAND_COLOR: Record<string, string> = { pre: '#edf1fa', main: 'rgba(0,0,0,0)', after: '#faf3e9' }; // opaque: band columns overlap when the day is zoomed out
const BUY = '#d32f2f';
const SELL = '#1565c0';

const t = (s: number): UTCTimestamp => s as UTCTimestamp;
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * Time-axis labels (chart times are KST written as UTC): HH:MM on a whole minute, HH:MM:SS otherwise, so two ticks
 * never read the same (the library's default drops the seconds whatever the tick, and repeated "20:16 20:16 20:16").
 */
function tickLabel(time: Time, type: TickMarkType): string {
  const d = new Date((time as number) * 1000);
  if (type === TickMarkType.Year || type === TickMarkType.Month || type === TickMarkType.DayOfMonth) return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  const hm = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
  return d.getUTCSeconds() === 0 ? hm : `${hm}:${two(d.getUTCSeconds())}`;
}

interface VenueSeries {
  net: ISeriesApi<'Line'>;
  markers: ISeriesMarkersPluginApi<Time>;
  last: number;                 // time of the last point
  minuteCloses: Map<number, number>; // minute start → cumulative net at its end
  lastMinute: number;
  previousClose: number;        // cumulative net at the end of the last minute before lastMinute
  points: number;
}

/** What tests and the benchmark read back (window.__kisBoard.chart). */
export interface ChartProbe {
  code: string | null;
  venue: VenueChoice;
  points: Record<VenueName, number>;
  lastNet: Record<VenueName, number | null>;
  lastBar: number | null;
  breaks: number;
  healedMarks: number;
  updates: number;
  /** Points of the price line, and its last price (null: none). */
  pricePoints: number;
  lastPrice: number | null;
  /** The time-axis label the chart asked for, per tick time (tests check that no two times share a label). */
  axisLabels: Record<string, string>;
}

export class DayChart {
  private readonly chart: IChartApi;
  private readonly bands: ISeriesApi<'Histogram'>;
  private readonly price: ISeriesApi<'Line'>;
  private readonly bars: ISeriesApi<'Histogram'>;
  private readonly series = {} as Record<VenueName, VenueSeries>;
  private day: Day | null = null;
  private gaps: Gap[] = [];
  private priceLast = 0;
  private barsLast = 0;
  private fit = false;
  venue: VenueChoice;
  readonly probe: ChartProbe;

  constructor(el: HTMLElement, venue: VenueChoice) {
    this.venue = venue;
    this.probe = {
      code: null, venue, points: { krx: 0, nxt: 0, unified: 0 }, lastNet: { krx: null, nxt: null, unified: null },
      lastBar: null, breaks: 0, healedMarks: 0, updates: 0, pricePoints: 0, lastPrice: null, axisLabels: {},
    };
    this.chart = createChart(el, {
      autoSize: true,
      layout: { attributionLogo: false, background: { color: '#ffffff' }, textColor: '#333', panes: { separatorColor: '#e3e5ea' } },
      grid: { vertLines: { color: '#f1f2f6' }, horzLines: { color: '#f1f2f6' } },
      timeScale: {
        timeVisible: true, secondsVisible: false, rightOffset: 4, minBarSpacing: 0.01,
        tickMarkFormatter: (time: Time, type: TickMarkType): string => {
          const label = tickLabel(time, type);
          this.probe.axisLabels[String(time)] = label;
          return label;
        },
      },
      rightPriceScale: { visible: true, borderVisible: false },
      leftPriceScale: { visible: true, borderVisible: false },
      localization: { priceFormatter: (v: number) => v.toLocaleString('ko-KR', { maximumFractionDigits: 1 }) },
    });
    // Session bands: full-height columns on a hidden scale behind the lines.
    this.bands = this.chart.addSeries(HistogramSeries, {
      priceScaleId: 'bands', lastValueVisible: false, priceLineVisible: false, base: 0,
    });
    this.chart.priceScale('bands').applyOptions({ visible: false, scaleMargins: { top: 0, bottom: 0 } });
    this.price = this.chart.addSeries(LineSeries, {
      priceScaleId: 'left', color: 'rgba(199,154,31,0.75)', lineWidth: 1, lastValueVisible: true, priceLineVisible: false, title: '가격',
      priceFormat: { type: 'price', precision: 0, minMove: 1 },
    });
    for (const v of VENUES) {
      const net = this.chart.addSeries(LineSeries, {
        priceScaleId: 'right', color: LINE_COLOR[v], lineWidth: 2, priceLineVisible: false, title: v.toUpperCase(),
        priceFormat: { type: 'price', precision: 1, minMove: 0.1 },
      });
      this.series[v] = { net, markers: createSeriesMarkers(net, []), last: 0, minuteCloses: new Map(), lastMinute: 0, previousClose: 0, points: 0 };
    }
    this.bars = this.chart.addSeries(HistogramSeries, {
      priceLineVisible: false, lastValueVisible: false, priceFormat: { type: 'price', precision: 1, minMove: 0.1 },
    }, 1);
    this.chart.panes()[1]?.setStretchFactor(0.35);
  }

  /** The venue whose bars and price are drawn: the chosen one, or with "all" the unified market (else KRX). */
  private get barVenue(): VenueName {
    return this.venue !== 'all' ? this.venue : this.day && this.day.curve.unified.length > 0 ? 'unified' : 'krx';
  }

  setVenue(venue: VenueChoice): void {
    this.venue = venue;
    this.probe.venue = venue;
    if (this.day) this.render();
  }

  show(day: Day, extraGaps: Gap[]): void {
    this.day = day;
    this.fit = true;
    const ids = new Set(day.gaps.map(g => g.id));
    this.gaps = [...day.gaps, ...extraGaps.filter(g => !ids.has(g.id))];
    this.probe.code = day.code;
    this.render();
  }

  private render(): void {
    const day = this.day!;
    // Bands only where the day has data, so they do not stretch the time axis past it.
    const all = VENUES.flatMap(v => day.curve[v]);
    const first = Math.min(...all.map(p => p.ts)), lastTs = Math.max(...all.map(p => p.ts));
    const bandData: HistogramData<Time>[] = [];
    if (all.length > 0) {
      for (const s of day.sessions) {
        const from = Math.max(s.from, Math.floor(first / 60) * 60), to = Math.min(s.to, lastTs + 10);
        for (let x = from; x < to; x += 10) bandData.push({ time: t(x), value: 1, color: BAND_COLOR[s.name] });
      }
    }
    this.bands.setData(bandData);

    let breaks = 0, healed = 0;
    for (const v of VENUES) {
      const vs = this.series[v];
      const visible = this.venue === 'all' || this.venue === v;
      vs.net.applyOptions({ visible });
      const data: (LineData<Time> | WhitespaceData<Time>)[] = [];
      const gaps = this.gaps.filter(g => gapApplies(g, day.code, v));
      const breakAt = new Set<number>();
      for (const g of gaps) if (g.healing !== 'healed') breakAt.add((g.missingFrom ?? g.from) + 1);
      const points = day.curve[v];
      let gi = 0;
      const breakTimes = [...breakAt].sort((a, b) => a - b);
      vs.minuteCloses.clear();
      for (const p of points) {
        while (gi < breakTimes.length && breakTimes[gi] < p.ts) {
          if (data.length > 0 && (data[data.length - 1].time as number) < breakTimes[gi]) { data.push({ time: t(breakTimes[gi]) }); if (visible) breaks++; }
          gi++;
        }
        data.push({ time: t(p.ts), value: eok(p.net) });
        vs.minuteCloses.set(Math.floor(p.ts / 60) * 60, p.net);
      }
      for (; gi < breakTimes.length; gi++) {
        // A gap after the last point (still open, or nothing since): end the line there.
        if (data.length > 0 && (data[data.length - 1].time as number) < breakTimes[gi]) { data.push({ time: t(breakTimes[gi]) }); if (visible) breaks++; }
      }
      vs.net.setData(data);
      vs.last = data.length ? (data[data.length - 1].time as number) : 0;
      vs.lastMinute = points.length ? Math.floor(points[points.length - 1].ts / 60) * 60 : 0;
      vs.previousClose = 0;
      for (let i = points.length - 1; i >= 0; i--) {
        if (points[i].ts < vs.lastMinute) { vs.previousClose = points[i].net; break; }
      }
      vs.points = points.length;
      this.probe.points[v] = points.length;
      this.probe.lastNet[v] = points.length ? points[points.length - 1].net : null;

      const markers: SeriesMarker<Time>[] = [];
      for (const g of gaps) {
        const anchor = points.find(p => p.ts >= g.to)?.ts ?? points[points.length - 1]?.ts;
        if (anchor === undefined) continue;
        if (g.healing === 'healed') { markers.push({ time: t(anchor), position: 'aboveBar', shape: 'arrowUp', color: '#1b7f3a', text: '복구 healed' }); if (visible) healed++; }
        else markers.push({ time: t(anchor), position: 'aboveBar', shape: 'square', color: '#b00020', text: g.healing === 'partly' ? 'gap (partly healed)' : 'gap' });
      }
      vs.markers.setMarkers(markers);
    }
    this.probe.breaks = breaks;
    this.probe.healedMarks = healed;

    const bv = this.barVenue;
    const bars = day.bars[bv];
    this.bars.setData(bars.map(b => ({ time: t(b.ts), value: eok(b.flow), color: b.flow >= 0 ? BUY : SELL })));
    this.barsLast = bars.length ? bars[bars.length - 1].ts : 0;
    this.probe.lastBar = bars.length ? bars[bars.length - 1].flow : null;
    // The price line: the price source's prices (inquire-price stck_prpr), not anything derived from program trades.
    const priceData: LineData<Time>[] = day.price.map(p => ({ time: t(p.ts), value: p.price }));
    this.price.setData(priceData);
    this.priceLast = priceData.length ? (priceData[priceData.length - 1].time as number) : 0;
    this.probe.pricePoints = priceData.length;
    this.probe.lastPrice = day.price.length ? day.price[day.price.length - 1].price : null;
    if (this.fit) {
      this.fit = false;
      // After layout: autoSize measures the element asynchronously.
      requestAnimationFrame(() => this.chart.timeScale().fitContent());
    }
  }

  /** A live update of the shown stock: moves its line, its minute bar and the price. */
  update(r: Row): void {
    if (!this.day || r.code !== this.day.code) return;
    const vs = this.series[r.venue];
    if (r.ts < vs.last) return; // older than what is drawn (already in the day's curve)
    vs.net.update({ time: t(r.ts), value: eok(r.net) });
    vs.last = r.ts;
    vs.points++;
    this.probe.points[r.venue] = vs.points;
    this.probe.lastNet[r.venue] = r.net;
    this.probe.updates++;
    const minute = Math.floor(r.ts / 60) * 60;
    // Updates come in time order (older ones returned above), so the close before this minute is the last minute's
    // when a new minute starts, and unchanged within one: no search over the day's minutes per update.
    if (minute > vs.lastMinute) vs.previousClose = vs.lastMinute > 0 ? vs.minuteCloses.get(vs.lastMinute) ?? vs.previousClose : 0;
    const previousClose = vs.previousClose;
    vs.minuteCloses.set(minute, r.net);
    vs.lastMinute = minute;
    const curve = this.day.curve[r.venue];
    const point = { ts: r.ts, net: r.net, buy: r.buy, sell: r.sell, flow: 0 };
    if (curve.length > 0 && curve[curve.length - 1].ts === r.ts) curve[curve.length - 1] = point; else curve.push(point);
    const flow = r.net - previousClose;
    const bars = this.day.bars[r.venue];
    if (bars.length > 0 && bars[bars.length - 1].ts === minute) bars[bars.length - 1] = { ts: minute, flow };
    else if (bars.length === 0 || bars[bars.length - 1].ts < minute) bars.push({ ts: minute, flow });
    if (r.venue === this.barVenue) {
      if (minute >= this.barsLast) {
        this.bars.update({ time: t(minute), value: eok(flow), color: flow >= 0 ? BUY : SELL });
        this.barsLast = minute;
        this.probe.lastBar = flow;
      }
    }
    // A new quote comes with the row sent again: the price line moves on at the row's time (never back).
    if (r.price !== null && r.price !== this.probe.lastPrice) {
      const at = Math.max(r.ts, this.priceLast);
      this.price.update({ time: t(at), value: r.price });
      this.day.price.push({ ts: at, price: r.price });
      this.priceLast = at;
      this.probe.pricePoints++;
      this.probe.lastPrice = r.price;
    }
  }

  /** A gap while the page is open: break the line where it started (a healed one gets a mark instead). */
  addGap(g: Gap): void {
    const i = this.gaps.findIndex(x => x.id === g.id);
    if (i >= 0) this.gaps[i] = g; else this.gaps.push(g);
    if (this.day && gapApplies(g, this.day.code, 'krx') || this.day && gapApplies(g, this.day.code, 'nxt') || this.day && gapApplies(g, this.day.code, 'unified')) {
      this.render();
    }
  }
}
