using System.Globalization;
using System.Text.Json;

namespace KisFeed.Rest;

/// <summary>Reads the rows of the market-totals replies by KIS field name (a reply carries only some of the fields).</summary>
internal static class MarketRows
{
    /// <summary>The rows of <c>output1</c>, else <c>output</c> (an array, or one object), as JSON objects.</summary>
    public static IEnumerable<JsonElement> Rows(MarketReplyDto reply, bool preferOutput1)
    {
        JsonElement? first = preferOutput1 ? reply.Output1 : reply.Output;
        JsonElement? second = preferOutput1 ? reply.Output : reply.Output1;
        JsonElement? chosen = first is { ValueKind: JsonValueKind.Array or JsonValueKind.Object } ? first : second;
        if (chosen is not { } e)
        {
            yield break;
        }

        if (e.ValueKind == JsonValueKind.Object)
        {
            yield return e;
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement row in e.EnumerateArray())
            {
                if (row.ValueKind == JsonValueKind.Object)
                {
                    yield return row;
                }
            }
        }
    }

    /// <summary>A market-totals row (FHPPG04600101 / FHPPG04600001).</summary>
    public static MarketProgramTradeRow Market(JsonElement row, Venue venue, KrxMarket market, DateOnly date, TimeOnly? time)
    {
        var missing = new List<string>();
        IndexProgramFlow Part(string prefix) => Flow(row, prefix, "vol", "tr_pbmn", "qty", "tr_pbmn", missing);
        IndexProgramFlow Sum(string kind) => Flow(row, $"{kind}_smtn", "vol", "tr_pbmn", "qty", "tr_pbmn", missing, alias: $"{kind}_smtm");
        return new MarketProgramTradeRow(venue, market, date, time,
            Part("arbt_entm"), Part("arbt_onsl"), Part("nabt_entm"), Part("nabt_onsl"),
            Sum("arbt"), Sum("nabt"), Part("whol_entm"), Part("whol_onsl"), Sum("whol"),
            Decimal(row, "bstp_nmix_prpr"), Decimal(row, "bstp_nmix_prdy_vrss"), missing);
    }

    /// <summary>An investor-type row (HHPPG046600C1).</summary>
    public static InvestorProgramTradeRow Investor(JsonElement row, KrxMarket market)
    {
        var missing = new List<string>();
        return new InvestorProgramTradeRow(market, Text(row, "invr_cls_code") ?? string.Empty, Text(row, "invr_cls_name")?.Trim() ?? string.Empty,
            Flow(row, "all", "qty", "amt", "qty", "amt", missing),
            Flow(row, "arbt", "qty", "amt", "qty", "amt", missing),
            Flow(row, "nabt", "qty", "amt", "qty", "amt", missing),
            missing);
    }

    public static string? Text(JsonElement row, string name) =>
        row.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>sell/buy volume and value and the nets: <c>{p}_seln_{vol}</c>, <c>{p}_seln_{value}</c>, <c>{p}_shnu_…</c>, <c>{p}_ntby_{netVol}</c>, <c>{p}_ntby_{netValue}</c>.</summary>
    private static IndexProgramFlow Flow(JsonElement row, string p, string vol, string value, string netVol, string netValue, List<string> missing, string? alias = null)
    {
        long F(string suffix) => Number(row, $"{p}_{suffix}", alias is null ? null : $"{alias}_{suffix}", missing);
        return new IndexProgramFlow(F($"seln_{vol}"), F($"seln_{value}"), F($"shnu_{vol}"), F($"shnu_{value}"), F($"ntby_{netVol}"), F($"ntby_{netValue}"));
    }

    private static long Number(JsonElement row, string name, string? alias, List<string> missing)
    {
        string? text = Text(row, name) ?? (alias is null ? null : Text(row, alias));
        if (text is not null && long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            return v;
        }

        missing.Add(name);
        return 0;
    }

    private static decimal? Decimal(JsonElement row, string name) =>
        Text(row, name) is { } s && decimal.TryParse(s.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out decimal v) ? v : null;
}
