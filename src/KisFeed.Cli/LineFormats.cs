using System.Globalization;
using System.Text;
using System.Text.Json;

using KisFeed.Storage;

namespace KisFeed.Cli;

/// <summary>Output formats for non-terminal output: one line per update.</summary>
internal enum LineFormat
{
    Text,
    Jsonl,
    Csv,
}

/// <summary>
/// Writes updates as lines (text for people, JSONL and CSV for programs). JSONL and CSV use the columns and the
/// timestamp format of <c>kisfeed export</c> (<see cref="StorageSchema.ExportColumns"/>, docs/storage.md): <c>seq</c>
/// numbers the lines of this output, <c>simulated</c> says whether the data came from a simulator (empty when unknown).
/// <paramref name="simulated"/> is asked per line (a NATS stream says it per message).
/// </summary>
internal sealed class LineWriter(TextWriter output, LineFormat format, Func<bool?> simulated)
{
    public LineWriter(TextWriter output, LineFormat format, bool? simulated)
        : this(output, format, () => simulated)
    {
    }

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly ProgramTradeFlow _flow = new();
    private bool _headerWritten;
    private long _seq;

    public static string CsvHeader { get; } = string.Join(',', StorageSchema.ExportColumns);

    public void Write(in ProgramTrade t)
    {
        _seq++;
        switch (format)
        {
            case LineFormat.Jsonl:
                output.WriteLine(Json(t));
                break;
            case LineFormat.Csv:
                if (!_headerWritten)
                {
                    output.WriteLine(CsvHeader);
                    _headerWritten = true;
                }

                output.WriteLine(string.Join(',', Row(t).Select(v => v switch
                {
                    null => string.Empty,
                    bool b => b ? "true" : "false",
                    IFormattable f => f.ToString(null, Inv),
                    _ => v.ToString(),
                })));
                break;
            default:
                ProgramTradeDelta d = _flow.Next(t);
                string change = d.IsFirstOfDay ? "first of day" : $"Δnet {Signed(d.NetBuyVolume)} sh {Signed(d.NetBuyValue)} KRW";
                output.WriteLine(string.Create(Inv,
                    $"{t.Code} {VenueName(t.Venue),-7} {t.Time:HH:mm:ss}  net {t.NetBuyVolume,12:N0} sh {Eok(t.NetBuyValue),12} 억  sell {t.SellVolume:N0} buy {t.BuyVolume:N0}  ({change}){(t.IsComplete ? string.Empty : $" missing: {t.Missing}")}"));
                break;
        }
    }

    public static string VenueName(Venue v) => v.Name();

    /// <summary>KRW in 억원 (10^8) with one decimal and thousands separators.</summary>
    public static string Eok(long won) => Number(won / 100_000_000d, 1);

    /// <summary>A number with thousands separators and <paramref name="decimals"/> decimals, never "-0" or "-0.0".</summary>
    public static string Number(double value, int decimals)
    {
        double rounded = Math.Round(value, decimals, MidpointRounding.AwayFromZero);
        return (rounded == 0 ? 0d : rounded).ToString("N" + decimals.ToString(Inv), Inv);
    }

    /// <summary>Like <see cref="Number"/> with a "+" for positive values; zero has no sign.</summary>
    public static string SignedNumber(double value, int decimals)
    {
        string text = Number(value, decimals);
        return Math.Round(value, decimals, MidpointRounding.AwayFromZero) > 0 ? "+" + text : text;
    }

    private static string Signed(long v) => v > 0 ? "+" + v.ToString("N0", Inv) : v.ToString("N0", Inv);

    private static string ReceivedAt(in ProgramTrade t) => t.ReceivedAt.UtcDateTime.ToString(StorageSchema.ReceivedAtTextFormat, Inv);

    /// <summary>One line's values, in the order of <see cref="StorageSchema.ExportColumns"/> (the names live there only).</summary>
    private object?[] Row(in ProgramTrade t) =>
    [
        _seq, t.TradingDate.ToString("yyyy-MM-dd", Inv), t.Venue.Name(), t.TrId, t.Code, t.Time.ToString("HH:mm:ss", Inv), ReceivedAt(t),
        t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue, t.NetBuyVolume, t.NetBuyValue, t.AskResidual, t.BidResidual, t.NetBidResidual, (int)t.Missing,
        StorageSchema.SourceText(t.Source), simulated(),
    ];

    private string Json(in ProgramTrade t)
    {
        object?[] row = Row(t);
        IReadOnlyList<string> columns = StorageSchema.ExportColumns;
        var sb = new StringBuilder(256);
        using (var w = new Utf8JsonWriterAdapter(sb))
        {
            w.Writer.WriteStartObject();
            for (int i = 0; i < columns.Count; i++)
            {
                switch (row[i])
                {
                    case null:
                        w.Writer.WriteNull(columns[i]);
                        break;
                    case bool b:
                        w.Writer.WriteBoolean(columns[i], b);
                        break;
                    case long n:
                        w.Writer.WriteNumber(columns[i], n);
                        break;
                    case int n:
                        w.Writer.WriteNumber(columns[i], n);
                        break;
                    default:
                        w.Writer.WriteString(columns[i], (string)row[i]!);
                        break;
                }
            }

            w.Writer.WriteEndObject();
        }

        return sb.ToString();
    }

    private sealed class Utf8JsonWriterAdapter : IDisposable
    {
        private readonly StringBuilder _target;
        private readonly MemoryStream _buffer = new();

        public Utf8JsonWriterAdapter(StringBuilder target)
        {
            _target = target;
            Writer = new Utf8JsonWriter(_buffer);
        }

        public Utf8JsonWriter Writer { get; }

        public void Dispose()
        {
            Writer.Flush();
            _target.Append(Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, (int)_buffer.Length));
            Writer.Dispose();
            _buffer.Dispose();
        }
    }
}
