using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KisFeed.Cli;

/// <summary>Output formats for non-terminal output: one line per update.</summary>
internal enum LineFormat
{
    Text,
    Jsonl,
    Csv,
}

/// <summary>Writes updates as lines (text for people, JSONL and CSV for programs).</summary>
internal sealed class LineWriter(TextWriter output, LineFormat format)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly ProgramTradeFlow _flow = new();
    private bool _headerWritten;

    public const string CsvHeader = "trading_date,venue,code,kis_time,received_at,sell_volume,sell_value,buy_volume,buy_value,net_buy_volume,net_buy_value,ask_residual,bid_residual,net_bid_residual,missing_fields";

    public void Write(in ProgramTrade t)
    {
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

                output.WriteLine(string.Join(',',
                    t.TradingDate.ToString("yyyy-MM-dd", Inv), VenueName(t.Venue), t.Code, t.Time.ToString("HH:mm:ss", Inv), t.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", Inv),
                    t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue, t.NetBuyVolume, t.NetBuyValue, t.AskResidual, t.BidResidual, t.NetBidResidual, (int)t.Missing));
                break;
            default:
                ProgramTradeDelta d = _flow.Next(t);
                string change = d.IsFirstOfDay ? "first of day" : $"Δnet {Signed(d.NetBuyVolume)} sh {Signed(d.NetBuyValue)} KRW";
                output.WriteLine(string.Create(Inv,
                    $"{t.Code} {VenueName(t.Venue),-7} {t.Time:HH:mm:ss}  net {t.NetBuyVolume,12:N0} sh {Eok(t.NetBuyValue),12} 억  sell {t.SellVolume:N0} buy {t.BuyVolume:N0}  ({change}){(t.IsComplete ? string.Empty : $" missing: {t.Missing}")}"));
                break;
        }
    }

    public static string VenueName(Venue v) => v switch
    {
        Venue.Krx => "krx",
        Venue.Nxt => "nxt",
        _ => "unified",
    };

    /// <summary>KRW in 억원 (10^8) with one decimal and thousands separators.</summary>
    public static string Eok(long won) => (won / 100_000_000d).ToString("N1", Inv);

    private static string Signed(long v) => v > 0 ? "+" + v.ToString("N0", Inv) : v.ToString("N0", Inv);

    private static string Json(in ProgramTrade t)
    {
        var sb = new StringBuilder(256);
        using (var w = new Utf8JsonWriterAdapter(sb))
        {
            w.Writer.WriteStartObject();
            w.Writer.WriteString("trading_date", t.TradingDate.ToString("yyyy-MM-dd", Inv));
            w.Writer.WriteString("venue", VenueName(t.Venue));
            w.Writer.WriteString("tr_id", t.TrId);
            w.Writer.WriteString("code", t.Code);
            w.Writer.WriteString("kis_time", t.Time.ToString("HH:mm:ss", Inv));
            w.Writer.WriteString("received_at", t.ReceivedAt.UtcDateTime);
            w.Writer.WriteNumber("sell_volume", t.SellVolume);
            w.Writer.WriteNumber("sell_value", t.SellValue);
            w.Writer.WriteNumber("buy_volume", t.BuyVolume);
            w.Writer.WriteNumber("buy_value", t.BuyValue);
            w.Writer.WriteNumber("net_buy_volume", t.NetBuyVolume);
            w.Writer.WriteNumber("net_buy_value", t.NetBuyValue);
            w.Writer.WriteNumber("ask_residual", t.AskResidual);
            w.Writer.WriteNumber("bid_residual", t.BidResidual);
            w.Writer.WriteNumber("net_bid_residual", t.NetBidResidual);
            w.Writer.WriteNumber("missing_fields", (int)t.Missing);
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
