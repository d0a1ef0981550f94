using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KisFeed;

/// <summary>
/// Turns the cumulative values of <see cref="ProgramTrade"/> into per-update flow (<see cref="ProgramTradeDelta"/>),
/// keyed by (<see cref="ProgramTrade.Venue"/>, <see cref="ProgramTrade.Code"/>). Feed it every update in arrival order.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The first update of a key on a trading date (a new <see cref="ProgramTrade.TradingDate"/>, or the first one
/// ever seen) yields the cumulative values themselves and <see cref="ProgramTradeDeltaKind.FirstOfDay"/>; residual
/// changes are then the residual levels themselves.</item>
/// <item>Across a reconnect gap nothing special happens: the delta spans the gap.</item>
/// <item>If a cumulative sell/buy volume or value goes down within a day, the counters are taken to have restarted:
/// the delta is the new cumulative values and the kind is <see cref="ProgramTradeDeltaKind.Reset"/>. Sell/buy deltas
/// are never negative.</item>
/// <item>A field marked in <see cref="ProgramTrade.Missing"/> (it read as 0) contributes a zero delta and the previous
/// cumulative value is kept for it, so a missing field is not mistaken for a reset.</item>
/// </list>
/// Not thread-safe: use one instance per consumer loop.
/// </remarks>
public sealed class ProgramTradeFlow
{
    private readonly Dictionary<(Venue Venue, string Code), State> _states = [];

    /// <summary>Number of (venue, code) keys with state.</summary>
    public int Count => _states.Count;

    /// <summary>Computes the delta of <paramref name="trade"/> against the previous update of its key and remembers it.</summary>
    public ProgramTradeDelta Next(in ProgramTrade trade)
    {
        ArgumentNullException.ThrowIfNull(trade.Code, nameof(trade));
        ref State state = ref CollectionsMarshal.GetValueRefOrAddDefault(_states, (trade.Venue, trade.Code), out bool exists);
        ProgramTradeFields missing = trade.Missing;

        ProgramTradeDeltaKind kind;
        if (!exists || trade.TradingDate > state.Date)
        {
            kind = ProgramTradeDeltaKind.FirstOfDay;
            state = default;
        }
        else if (trade.TradingDate < state.Date
            || Decreased(trade.SellVolume, state.SellVolume, missing, ProgramTradeFields.SellVolume)
            || Decreased(trade.SellValue, state.SellValue, missing, ProgramTradeFields.SellValue)
            || Decreased(trade.BuyVolume, state.BuyVolume, missing, ProgramTradeFields.BuyVolume)
            || Decreased(trade.BuyValue, state.BuyValue, missing, ProgramTradeFields.BuyValue))
        {
            kind = ProgramTradeDeltaKind.Reset;
        }
        else
        {
            kind = ProgramTradeDeltaKind.Continuation;
        }

        // Baseline for the cumulative counters: zero when they (re)start, else the previous values.
        bool restart = kind != ProgramTradeDeltaKind.Continuation;
        long sellVolume = Delta(trade.SellVolume, restart ? 0 : state.SellVolume, missing, ProgramTradeFields.SellVolume);
        long sellValue = Delta(trade.SellValue, restart ? 0 : state.SellValue, missing, ProgramTradeFields.SellValue);
        long buyVolume = Delta(trade.BuyVolume, restart ? 0 : state.BuyVolume, missing, ProgramTradeFields.BuyVolume);
        long buyValue = Delta(trade.BuyValue, restart ? 0 : state.BuyValue, missing, ProgramTradeFields.BuyValue);

        // Residuals are levels: the change is against the previous level of the same day (0 at the start of a day).
        bool newDay = kind == ProgramTradeDeltaKind.FirstOfDay || trade.TradingDate != state.Date;
        long askChange = Change(trade.AskResidual, newDay ? 0 : state.AskResidual, missing, ProgramTradeFields.AskResidual);
        long bidChange = Change(trade.BidResidual, newDay ? 0 : state.BidResidual, missing, ProgramTradeFields.BidResidual);
        long netBidChange = Change(trade.NetBidResidual, newDay ? 0 : state.NetBidResidual, missing, ProgramTradeFields.NetBidResidual);

        state.Date = trade.TradingDate;
        state.SellVolume = Keep(trade.SellVolume, restart ? 0 : state.SellVolume, missing, ProgramTradeFields.SellVolume);
        state.SellValue = Keep(trade.SellValue, restart ? 0 : state.SellValue, missing, ProgramTradeFields.SellValue);
        state.BuyVolume = Keep(trade.BuyVolume, restart ? 0 : state.BuyVolume, missing, ProgramTradeFields.BuyVolume);
        state.BuyValue = Keep(trade.BuyValue, restart ? 0 : state.BuyValue, missing, ProgramTradeFields.BuyValue);
        state.AskResidual = Keep(trade.AskResidual, newDay ? 0 : state.AskResidual, missing, ProgramTradeFields.AskResidual);
        state.BidResidual = Keep(trade.BidResidual, newDay ? 0 : state.BidResidual, missing, ProgramTradeFields.BidResidual);
        state.NetBidResidual = Keep(trade.NetBidResidual, newDay ? 0 : state.NetBidResidual, missing, ProgramTradeFields.NetBidResidual);

        return new ProgramTradeDelta(
            trade,
            sellVolume,
            sellValue,
            buyVolume,
            buyValue,
            buyVolume - sellVolume,
            buyValue - sellValue,
            askChange,
            bidChange,
            netBidChange,
            kind);
    }

    /// <summary>Forgets the state of one key; its next update counts as <see cref="ProgramTradeDeltaKind.FirstOfDay"/>.</summary>
    public bool Forget(Venue venue, string code) => _states.Remove((venue, code));

    /// <summary>Forgets every key.</summary>
    public void Clear() => _states.Clear();

    /// <summary>Maps a stream of updates to their deltas with a fresh <see cref="ProgramTradeFlow"/>.</summary>
    public static async IAsyncEnumerable<ProgramTradeDelta> DeltasAsync(
        IAsyncEnumerable<ProgramTrade> source,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ProgramTradeFlow flow = new();
        await foreach (ProgramTrade trade in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return flow.Next(trade);
        }
    }

    private static bool Decreased(long current, long previous, ProgramTradeFields missing, ProgramTradeFields field) =>
        (missing & field) == 0 && current < previous;

    private static long Delta(long current, long baseline, ProgramTradeFields missing, ProgramTradeFields field) =>
        (missing & field) != 0 ? 0 : Math.Max(0, current - baseline);

    private static long Change(long current, long baseline, ProgramTradeFields missing, ProgramTradeFields field) =>
        (missing & field) != 0 ? 0 : current - baseline;

    private static long Keep(long current, long baseline, ProgramTradeFields missing, ProgramTradeFields field) =>
        (missing & field) != 0 ? baseline : current;

    private struct State
    {
        public DateOnly Date;
        public long SellVolume;
        public long SellValue;
        public long BuyVolume;
        public long BuyValue;
        public long AskResidual;
        public long BidResidual;
        public long NetBidResidual;
    }
}
