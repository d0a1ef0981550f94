using System.CommandLine;
using System.Globalization;
using System.Text;

namespace KisFeed.Cli;

internal static partial class CliApp
{
    private static Command HistoryCommand(CliConsole console)
    {
        Argument<string[]> codes = CodesArgument();
        Option<string> venue = VenueOption();
        Option<bool> daily = new("--daily") { Description = "Daily rows (program-trade-by-stock-daily) instead of the day so far." };
        Option<string?> from = new("--from") { Description = "With --daily: list the days going back from this date (yyyy-MM-dd). Default: today." };
        Option<string> format = new("--format", "-f") { Description = "table (default), jsonl or csv.", DefaultValueFactory = _ => "table" };
        Option<bool> demo = DemoOption();
        Option<string?> config = ConfigOption();
        Option<bool> verbose = VerboseOption();
        var command = new Command(
            "history",
            "Program-trading history over KIS REST, with the price beside it: the day so far (program-trade-by-stock), or daily rows with --daily.\n" +
            "The access token is cached in ~/.cache/kisfeed (or $XDG_CACHE_HOME/kisfeed), so commands in a row don't ask KIS again.\n" +
            "Example: kisfeed history 005930 000660 --venue all --format csv")
        {
            codes, venue, daily, from, format, demo, config, verbose,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            // Everything the user typed is checked before anything is printed or asked of KIS.
            IReadOnlyList<string> list = StockCodes.Check(parse.GetValue(codes)!);
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            string fmt = parse.GetValue(format)!.Trim().ToLowerInvariant();
            if (fmt is not ("table" or "jsonl" or "json" or "csv"))
            {
                throw CliException.Usage($"Unknown format '{fmt}': use table, jsonl or csv.");
            }

            bool isDaily = parse.GetValue(daily);
            DateOnly? fromDate = ParseDate(parse.GetValue(from));
            if (fromDate is not null && !isDaily)
            {
                throw CliException.Usage("--from goes with --daily (the intraday history has no date input).");
            }

            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), board: false);
            await using DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), console.Env, logging.Factory, console.Time, token);
            await (fmt == "table" ? console.Out : console.Error).WriteLineAsync(source.Description);
            using var client = new KisRestClient(source.Options);
            var writer = new HistoryWriter(console.Out, fmt, isDaily, source.IsDemo);
            writer.Header();
            foreach (string code in list)
            {
                foreach (Venue v in venues)
                {
                    if (isDaily)
                    {
                        foreach (ProgramTradeDailyRow row in await client.DailyHistoryAsync(code, v, fromDate, token))
                        {
                            writer.Daily(row);
                        }
                    }
                    else
                    {
                        foreach (ProgramTradeHistoryRow row in await client.HistoryAsync(code, v, token))
                        {
                            writer.Intraday(row);
                        }
                    }
                }
            }

            await console.Out.FlushAsync(token);
            return 0;
        }, null, ct));
        return command;
    }

    /// <summary>Writes history rows as an aligned table, JSON lines or CSV (values in KRW and shares, times KST).</summary>
    private sealed class HistoryWriter(TextWriter output, string format, bool daily, bool simulated)
    {
        private static readonly string[] IntradayColumns =
            ["code", "venue", "date", "time", "price", "change", "change_pct", "acml_vol", "sell_volume", "sell_value", "buy_volume", "buy_value", "net_buy_volume", "net_buy_value"];

        private static readonly string[] DailyColumns =
            ["code", "venue", "date", "close", "change", "change_pct", "acml_vol", "sell_volume", "sell_value", "buy_volume", "buy_value", "net_buy_volume", "net_buy_value"];

        private string[] Columns => daily ? DailyColumns : IntradayColumns;

        public void Header()
        {
            if (format == "csv")
            {
                output.WriteLine(string.Join(',', [.. Columns, "source", "simulated"]));
            }
            else if (format == "table")
            {
                output.WriteLine(daily
                    ? $"{"code",-6} {"venue",-7} {"date",-10} {"close",10} {"change",14} {"acml_vol",14} {"sell 억",10} {"buy 억",10} {"net 억",10} {"net volume",12}"
                    : $"{"code",-6} {"venue",-7} {"time",-8} {"price",10} {"change",14} {"acml_vol",14} {"sell 억",10} {"buy 억",10} {"net 억",10} {"net volume",12}");
            }
        }

        public void Intraday(ProgramTradeHistoryRow r) => Write(
            r.Code, r.Venue, r.TradingDate, r.Time, r.Price, r.Change, r.ChangeSign, r.ChangePercent, r.AccumulatedVolume,
            r.SellVolume, r.SellValue, r.BuyVolume, r.BuyValue, r.NetBuyVolume, r.NetBuyValue);

        public void Daily(ProgramTradeDailyRow r) => Write(
            r.Code, r.Venue, r.Date, null, r.ClosePrice, r.Change, r.ChangeSign, r.ChangePercent, r.AccumulatedVolume,
            r.SellVolume, r.SellValue, r.BuyVolume, r.BuyValue, r.NetBuyVolume, r.NetBuyValue);

        private void Write(
            string code, Venue venue, DateOnly date, TimeOnly? time, long price, long change, PriceChangeSign sign, decimal pct, long volume,
            long sellVolume, long sellValue, long buyVolume, long buyValue, long netVolume, long netValue)
        {
            CultureInfo inv = CultureInfo.InvariantCulture;
            string venueName = LineWriter.VenueName(venue);
            string dateText = date.ToString("yyyy-MM-dd", inv);
            string timeText = time?.ToString("HH:mm:ss", inv) ?? string.Empty;
            string pctText = pct.ToString("0.00", inv);
            switch (format)
            {
                case "table":
                    string changeText = $"{(change > 0 ? "+" : string.Empty)}{change.ToString("N0", inv)} ({(pct > 0 ? "+" : string.Empty)}{pctText}%)";
                    output.WriteLine(string.Create(inv,
                        $"{code,-6} {venueName,-7} {(daily ? dateText : timeText),-10} {price,10:N0} {changeText,14} {volume,14:N0} {Eok(sellValue),10} {Eok(buyValue),10} {Eok(netValue),10} {netVolume,12:N0}").TrimEnd());
                    break;
                case "csv":
                    var csv = new List<string> { code, venueName, dateText };
                    if (!daily)
                    {
                        csv.Add(timeText);
                    }

                    csv.AddRange([N(price), N(change), pctText, N(volume), N(sellVolume), N(sellValue), N(buyVolume), N(buyValue), N(netVolume), N(netValue), "rest", simulated ? "true" : "false"]);
                    output.WriteLine(string.Join(',', csv));
                    break;
                default:
                    var sb = new StringBuilder(320);
                    sb.Append("{\"code\":\"").Append(code).Append("\",\"venue\":\"").Append(venueName).Append("\",\"date\":\"").Append(dateText).Append('"');
                    if (!daily)
                    {
                        sb.Append(",\"time\":\"").Append(timeText).Append('"');
                    }

                    sb.Append(daily ? ",\"close\":" : ",\"price\":").Append(N(price))
                        .Append(",\"change\":").Append(N(change))
                        .Append(",\"change_sign\":\"").Append(sign.ToString().ToLowerInvariant()).Append('"')
                        .Append(",\"change_pct\":").Append(pctText)
                        .Append(",\"acml_vol\":").Append(N(volume))
                        .Append(",\"sell_volume\":").Append(N(sellVolume)).Append(",\"sell_value\":").Append(N(sellValue))
                        .Append(",\"buy_volume\":").Append(N(buyVolume)).Append(",\"buy_value\":").Append(N(buyValue))
                        .Append(",\"net_buy_volume\":").Append(N(netVolume)).Append(",\"net_buy_value\":").Append(N(netValue))
                        .Append(",\"source\":\"rest\",\"simulated\":").Append(simulated ? "true" : "false").Append('}');
                    output.WriteLine(sb.ToString());
                    break;
            }
        }

        private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

        private static string Eok(long won) => (won / 100_000_000.0).ToString("N1", CultureInfo.InvariantCulture);
    }
}
