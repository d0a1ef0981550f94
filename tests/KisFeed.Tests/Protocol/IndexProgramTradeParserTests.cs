using System.Globalization;

using KisFeed.Protocol;

namespace KisFeed.Tests.Protocol;

/// <summary>
/// <c>H0UPPGM0</c> frames built by hand from the field order of the protocol notes (§15: the official sample's column
/// list, written out here on its own so that the parser's table is checked against it, not against itself).
/// </summary>
public class IndexProgramTradeParserTests
{
    /// <summary>The 88 fields in wire order, from koreainvestment/open-trading-api index_program_trade.py.</summary>
    private static readonly string[] Order =
    [
        "bstp_cls_code", "bsop_hour", "arbt_seln_entm_cnqn", "arbt_seln_onsl_cnqn",
        "arbt_shnu_entm_cnqn", "arbt_shnu_onsl_cnqn", "nabt_seln_entm_cnqn",
        "nabt_seln_onsl_cnqn", "nabt_shnu_entm_cnqn", "nabt_shnu_onsl_cnqn",
        "arbt_seln_entm_cntg_amt", "arbt_seln_onsl_cntg_amt", "arbt_shnu_entm_cntg_amt",
        "arbt_shnu_onsl_cntg_amt", "nabt_seln_entm_cntg_amt", "nabt_seln_onsl_cntg_amt",
        "nabt_shnu_entm_cntg_amt", "nabt_shnu_onsl_cntg_amt", "arbt_smtn_seln_vol",
        "arbt_smtm_seln_vol_rate", "arbt_smtn_seln_tr_pbmn", "arbt_smtm_seln_tr_pbmn_rate",
        "arbt_smtn_shnu_vol", "arbt_smtm_shnu_vol_rate", "arbt_smtn_shnu_tr_pbmn",
        "arbt_smtm_shnu_tr_pbmn_rate", "arbt_smtn_ntby_qty", "arbt_smtm_ntby_qty_rate",
        "arbt_smtn_ntby_tr_pbmn", "arbt_smtm_ntby_tr_pbmn_rate", "nabt_smtn_seln_vol",
        "nabt_smtm_seln_vol_rate", "nabt_smtn_seln_tr_pbmn", "nabt_smtm_seln_tr_pbmn_rate",
        "nabt_smtn_shnu_vol", "nabt_smtm_shnu_vol_rate", "nabt_smtn_shnu_tr_pbmn",
        "nabt_smtm_shnu_tr_pbmn_rate", "nabt_smtn_ntby_qty", "nabt_smtm_ntby_qty_rate",
        "nabt_smtn_ntby_tr_pbmn", "nabt_smtm_ntby_tr_pbmn_rate", "whol_entm_seln_vol",
        "entm_seln_vol_rate", "whol_entm_seln_tr_pbmn", "entm_seln_tr_pbmn_rate",
        "whol_entm_shnu_vol", "entm_shnu_vol_rate", "whol_entm_shnu_tr_pbmn",
        "entm_shnu_tr_pbmn_rate", "whol_entm_ntby_qt", "entm_ntby_qty_rat",
        "whol_entm_ntby_tr_pbmn", "entm_ntby_tr_pbmn_rate", "whol_onsl_seln_vol",
        "onsl_seln_vol_rate", "whol_onsl_seln_tr_pbmn", "onsl_seln_tr_pbmn_rate",
        "whol_onsl_shnu_vol", "onsl_shnu_vol_rate", "whol_onsl_shnu_tr_pbmn",
        "onsl_shnu_tr_pbmn_rate", "whol_onsl_ntby_qty", "onsl_ntby_qty_rate",
        "whol_onsl_ntby_tr_pbmn", "onsl_ntby_tr_pbmn_rate", "total_seln_qty",
        "whol_seln_vol_rate", "total_seln_tr_pbmn", "whol_seln_tr_pbmn_rate",
        "shnu_cntg_smtn", "whol_shun_vol_rate", "total_shnu_tr_pbmn",
        "whol_shun_tr_pbmn_rate", "whol_ntby_qty", "whol_smtm_ntby_qty_rate",
        "whol_ntby_tr_pbmn", "whol_ntby_tr_pbmn_rate", "arbt_entm_ntby_qty",
        "arbt_entm_ntby_tr_pbmn", "arbt_onsl_ntby_qty", "arbt_onsl_ntby_tr_pbmn",
        "nabt_entm_ntby_qty", "nabt_entm_ntby_tr_pbmn", "nabt_onsl_ntby_qty",
        "nabt_onsl_ntby_tr_pbmn", "acml_vol", "acml_tr_pbmn",
    ];

    private static readonly DateTimeOffset ReceivedAt = Samples.ReceivedAt; // 09:22:37 KST

    /// <summary>A distinct value per field: numbers 1000 + position (negative for the nets), rates position + 0.25.</summary>
    private static Dictionary<string, string> Distinct(string code = "0001", string time = "092237") =>
        Order.Select((name, i) => (name, value: i switch
        {
            0 => code,
            1 => time,
            _ when name.Contains("rate", StringComparison.Ordinal) || name.EndsWith("_rat", StringComparison.Ordinal) => (i + 0.25m).ToString(CultureInfo.InvariantCulture),
            _ when name.Contains("ntby", StringComparison.Ordinal) => (-(1000 + i)).ToString(CultureInfo.InvariantCulture),
            _ => (1000 + i).ToString(CultureInfo.InvariantCulture),
        })).ToDictionary(x => x.name, x => x.value);

    private static string Payload(Dictionary<string, string> values) => string.Join('^', Order.Select(n => values[n]));

    private static string Frame(int count, string payload) => $"0|H0UPPGM0|{count:D3}|{payload}";

    private static (ParseResult Result, List<IndexProgramTrade> Records) Parse(string frame)
    {
        var output = new List<IndexProgramTrade>();
        ParseResult result = new IndexProgramTradeParser().ParseFrame(Samples.Bytes(frame), ReceivedAt, output);
        return (result, output);
    }

    private static long N(Dictionary<string, string> v, string name) => long.Parse(v[name], CultureInfo.InvariantCulture);

    private static decimal R(Dictionary<string, string> v, string name) => decimal.Parse(v[name], CultureInfo.InvariantCulture);

    [Fact]
    public void The_field_table_is_the_official_order()
    {
        Assert.Equal(88, Order.Length);
        Assert.Equal(Order, IndexProgramTrade.KisFieldNames);
    }

    [Fact]
    public void Every_field_maps_to_its_KIS_name()
    {
        Dictionary<string, string> v = Distinct();
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(1, Payload(v)));

        Assert.Equal(FrameError.None, result.Error);
        IndexProgramTrade t = Assert.Single(records);
        Assert.Equal("0001", t.IndexCode);
        Assert.Equal(new TimeOnly(9, 22, 37), t.Time);
        Assert.Equal(new DateOnly(2026, 11, 24), t.TradingDate);
        Assert.Equal(ReceivedAt, t.ReceivedAt);
        Assert.True(t.IsComplete);
        Assert.Equal(Registration.Index("0001"), t.Registration);

        void Part(IndexProgramFlow f, string kind, string who)
        {
            Assert.Equal(N(v, $"{kind}_seln_{who}_cnqn"), f.SellVolume);
            Assert.Equal(N(v, $"{kind}_seln_{who}_cntg_amt"), f.SellValue);
            Assert.Equal(N(v, $"{kind}_shnu_{who}_cnqn"), f.BuyVolume);
            Assert.Equal(N(v, $"{kind}_shnu_{who}_cntg_amt"), f.BuyValue);
            Assert.Equal(N(v, $"{kind}_{who}_ntby_qty"), f.NetBuyVolume);
            Assert.Equal(N(v, $"{kind}_{who}_ntby_tr_pbmn"), f.NetBuyValue);
        }

        Part(t.ArbitrageCustomer, "arbt", "entm");
        Part(t.ArbitrageOwn, "arbt", "onsl");
        Part(t.NonArbitrageCustomer, "nabt", "entm");
        Part(t.NonArbitrageOwn, "nabt", "onsl");

        void Sum(IndexProgramFlow f, IndexProgramShares s, string[] names)
        {
            Assert.Equal(new IndexProgramFlow(N(v, names[0]), N(v, names[2]), N(v, names[4]), N(v, names[6]), N(v, names[8]), N(v, names[10])), f);
            Assert.Equal(new IndexProgramShares(R(v, names[1]), R(v, names[3]), R(v, names[5]), R(v, names[7]), R(v, names[9]), R(v, names[11])), s);
        }

        Sum(t.Arbitrage, t.ArbitrageShares, ["arbt_smtn_seln_vol", "arbt_smtm_seln_vol_rate", "arbt_smtn_seln_tr_pbmn", "arbt_smtm_seln_tr_pbmn_rate", "arbt_smtn_shnu_vol", "arbt_smtm_shnu_vol_rate", "arbt_smtn_shnu_tr_pbmn", "arbt_smtm_shnu_tr_pbmn_rate", "arbt_smtn_ntby_qty", "arbt_smtm_ntby_qty_rate", "arbt_smtn_ntby_tr_pbmn", "arbt_smtm_ntby_tr_pbmn_rate"]);
        Sum(t.NonArbitrage, t.NonArbitrageShares, ["nabt_smtn_seln_vol", "nabt_smtm_seln_vol_rate", "nabt_smtn_seln_tr_pbmn", "nabt_smtm_seln_tr_pbmn_rate", "nabt_smtn_shnu_vol", "nabt_smtm_shnu_vol_rate", "nabt_smtn_shnu_tr_pbmn", "nabt_smtm_shnu_tr_pbmn_rate", "nabt_smtn_ntby_qty", "nabt_smtm_ntby_qty_rate", "nabt_smtn_ntby_tr_pbmn", "nabt_smtm_ntby_tr_pbmn_rate"]);
        Sum(t.Customer, t.CustomerShares, ["whol_entm_seln_vol", "entm_seln_vol_rate", "whol_entm_seln_tr_pbmn", "entm_seln_tr_pbmn_rate", "whol_entm_shnu_vol", "entm_shnu_vol_rate", "whol_entm_shnu_tr_pbmn", "entm_shnu_tr_pbmn_rate", "whol_entm_ntby_qt", "entm_ntby_qty_rat", "whol_entm_ntby_tr_pbmn", "entm_ntby_tr_pbmn_rate"]);
        Sum(t.Own, t.OwnShares, ["whol_onsl_seln_vol", "onsl_seln_vol_rate", "whol_onsl_seln_tr_pbmn", "onsl_seln_tr_pbmn_rate", "whol_onsl_shnu_vol", "onsl_shnu_vol_rate", "whol_onsl_shnu_tr_pbmn", "onsl_shnu_tr_pbmn_rate", "whol_onsl_ntby_qty", "onsl_ntby_qty_rate", "whol_onsl_ntby_tr_pbmn", "onsl_ntby_tr_pbmn_rate"]);
        Sum(t.Total, t.TotalShares, ["total_seln_qty", "whol_seln_vol_rate", "total_seln_tr_pbmn", "whol_seln_tr_pbmn_rate", "shnu_cntg_smtn", "whol_shun_vol_rate", "total_shnu_tr_pbmn", "whol_shun_tr_pbmn_rate", "whol_ntby_qty", "whol_smtm_ntby_qty_rate", "whol_ntby_tr_pbmn", "whol_ntby_tr_pbmn_rate"]);
        Assert.Equal(N(v, "acml_vol"), t.MarketVolume);
        Assert.Equal(N(v, "acml_tr_pbmn"), t.MarketValue);
    }

    [Fact]
    public void A_consistent_record_adds_up()
    {
        // A market as the notes describe it: parts, then their sums, nets = buy − sell (volumes in 천주, values in 백만원).
        (long sq, long sv, long bq, long bv)[] parts = [(120, 9_000, 150, 11_000), (30, 2_000, 10, 900), (4_000, 310_000, 4_400, 330_000), (700, 50_000, 650, 48_000)];
        var v = Distinct("1001", "100000");
        string[] kinds = ["arbt", "arbt", "nabt", "nabt"];
        string[] whos = ["entm", "onsl", "entm", "onsl"];
        for (int i = 0; i < 4; i++)
        {
            (long sq, long sv, long bq, long bv) = parts[i];
            v[$"{kinds[i]}_seln_{whos[i]}_cnqn"] = sq.ToString(CultureInfo.InvariantCulture);
            v[$"{kinds[i]}_seln_{whos[i]}_cntg_amt"] = sv.ToString(CultureInfo.InvariantCulture);
            v[$"{kinds[i]}_shnu_{whos[i]}_cnqn"] = bq.ToString(CultureInfo.InvariantCulture);
            v[$"{kinds[i]}_shnu_{whos[i]}_cntg_amt"] = bv.ToString(CultureInfo.InvariantCulture);
            v[$"{kinds[i]}_{whos[i]}_ntby_qty"] = (bq - sq).ToString(CultureInfo.InvariantCulture);
            v[$"{kinds[i]}_{whos[i]}_ntby_tr_pbmn"] = (bv - sv).ToString(CultureInfo.InvariantCulture);
        }

        void SetSum(string[] names, params int[] of)
        {
            long sq = of.Sum(i => parts[i].sq), sv = of.Sum(i => parts[i].sv), bq = of.Sum(i => parts[i].bq), bv = of.Sum(i => parts[i].bv);
            long[] figures = [sq, sv, bq, bv, bq - sq, bv - sv];
            for (int k = 0; k < 6; k++)
            {
                v[names[k]] = figures[k].ToString(CultureInfo.InvariantCulture);
            }
        }

        SetSum(["arbt_smtn_seln_vol", "arbt_smtn_seln_tr_pbmn", "arbt_smtn_shnu_vol", "arbt_smtn_shnu_tr_pbmn", "arbt_smtn_ntby_qty", "arbt_smtn_ntby_tr_pbmn"], 0, 1);
        SetSum(["nabt_smtn_seln_vol", "nabt_smtn_seln_tr_pbmn", "nabt_smtn_shnu_vol", "nabt_smtn_shnu_tr_pbmn", "nabt_smtn_ntby_qty", "nabt_smtn_ntby_tr_pbmn"], 2, 3);
        SetSum(["whol_entm_seln_vol", "whol_entm_seln_tr_pbmn", "whol_entm_shnu_vol", "whol_entm_shnu_tr_pbmn", "whol_entm_ntby_qt", "whol_entm_ntby_tr_pbmn"], 0, 2);
        SetSum(["whol_onsl_seln_vol", "whol_onsl_seln_tr_pbmn", "whol_onsl_shnu_vol", "whol_onsl_shnu_tr_pbmn", "whol_onsl_ntby_qty", "whol_onsl_ntby_tr_pbmn"], 1, 3);
        SetSum(["total_seln_qty", "total_seln_tr_pbmn", "shnu_cntg_smtn", "total_shnu_tr_pbmn", "whol_ntby_qty", "whol_ntby_tr_pbmn"], 0, 1, 2, 3);

        IndexProgramTrade t = Assert.Single(Parse(Frame(1, Payload(v))).Records);
        Assert.Equal(t.ArbitrageCustomer + t.ArbitrageOwn, t.Arbitrage);
        Assert.Equal(t.NonArbitrageCustomer + t.NonArbitrageOwn, t.NonArbitrage);
        Assert.Equal(t.ArbitrageCustomer + t.NonArbitrageCustomer, t.Customer);
        Assert.Equal(t.ArbitrageOwn + t.NonArbitrageOwn, t.Own);
        Assert.Equal(t.Arbitrage + t.NonArbitrage, t.Total);
        Assert.Equal(t.Total.BuyValue - t.Total.SellValue, t.Total.NetBuyValue);
        Assert.Equal(900, t.Arbitrage.NetBuyValue); // (11,000 − 9,000) + (900 − 2,000)
        Assert.Equal(18_900, t.Total.NetBuyValue);
    }

    [Fact]
    public void A_multi_record_frame_yields_every_record_in_order()
    {
        string payload = string.Join('^', Payload(Distinct("0001", "092237")), Payload(Distinct("1001", "092237")), Payload(Distinct("2001", "092238")));
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(3, payload));

        Assert.True(result.IsClean, result.Detail);
        Assert.Equal(["0001", "1001", "2001"], records.Select(r => r.IndexCode));
        Assert.Equal(new TimeOnly(9, 22, 38), records[2].Time);
        Assert.All(records, r => Assert.Equal(1087, r.MarketValue));
    }

    [Fact]
    public void A_trailing_caret_is_tolerated()
    {
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(1, Payload(Distinct()) + "^"));
        Assert.True(result.IsClean, result.Detail);
        Assert.Equal(1087, Assert.Single(records).MarketValue);

        string two = Payload(Distinct("0001")) + "^" + Payload(Distinct("1001")) + "^";
        (result, records) = Parse(Frame(2, two));
        Assert.True(result.IsClean, result.Detail);
        Assert.Equal(2, records.Count);
    }

    [Fact]
    public void Empty_and_null_fields_read_zero_and_are_named_missing()
    {
        Dictionary<string, string> v = Distinct();
        v["arbt_seln_entm_cnqn"] = string.Empty;
        v["whol_ntby_tr_pbmn"] = "(null)";
        v["nabt_smtm_shnu_vol_rate"] = string.Empty;
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(1, Payload(v)));

        Assert.True(result.IsClean, result.Detail);
        IndexProgramTrade t = Assert.Single(records);
        Assert.Equal(0, t.ArbitrageCustomer.SellVolume);
        Assert.Equal(0, t.Total.NetBuyValue);
        Assert.Equal(0m, t.NonArbitrageShares.BuyVolume);
        Assert.Equal(["arbt_seln_entm_cnqn", "nabt_smtm_shnu_vol_rate", "whol_ntby_tr_pbmn"], t.Missing);
        Assert.False(t.IsComplete);
    }

    [Fact]
    public void Fields_KIS_appends_are_skipped_record_by_record()
    {
        string payload = Payload(Distinct("0001")) + "^NEW1^NEW2^" + Payload(Distinct("1001")) + "^NEW1^NEW2";
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(2, payload));

        Assert.True(result.IsClean, result.Detail);
        Assert.Equal(90, result.FieldsPerRecord);
        Assert.Equal(["0001", "1001"], records.Select(r => r.IndexCode));
        Assert.All(records, r => Assert.True(r.IsComplete));
    }

    [Fact]
    public void A_count_lower_than_the_records_sent_is_reported_not_misread()
    {
        string payload = Payload(Distinct("0001")) + "^" + Payload(Distinct("1001"));
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(1, payload));

        Assert.Equal(FrameError.CountMismatch, result.Error);
        Assert.Contains("holds 2", result.Detail, StringComparison.Ordinal);
        Assert.Empty(records);
    }

    [Fact]
    public void A_count_higher_than_the_values_sent_is_a_mismatch()
    {
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(3, Payload(Distinct("0001")) + "^" + Payload(Distinct("1001"))));
        Assert.Equal(FrameError.CountMismatch, result.Error);
        Assert.Empty(records);
    }

    [Fact]
    public void Too_few_fields_is_reported_with_the_width_expected()
    {
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(1, string.Join('^', Order.Take(11).Select(n => Distinct()[n]))));
        Assert.Equal(FrameError.TooFewFields, result.Error);
        Assert.Contains("88 expected", result.Detail, StringComparison.Ordinal);
        Assert.Empty(records);
    }

    [Fact]
    public void A_record_with_an_unreadable_code_or_time_is_skipped_and_the_others_kept()
    {
        string payload = string.Join('^', Payload(Distinct("00X1")), Payload(Distinct("1001", "250000")), Payload(Distinct("2001")));
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(3, payload));

        Assert.Equal(FrameError.BadField, result.Error);
        Assert.Equal(2, result.SkippedRecords);
        Assert.Contains("record 1 of 3", result.Detail, StringComparison.Ordinal);
        Assert.Equal("2001", Assert.Single(records).IndexCode);
    }

    [Fact]
    public void A_damaged_number_costs_only_that_field()
    {
        Dictionary<string, string> v = Distinct();
        v["acml_vol"] = "12x4";
        v["arbt_smtm_seln_vol_rate"] = "1.2.3";
        (ParseResult result, List<IndexProgramTrade> records) = Parse(Frame(1, Payload(v)));

        Assert.Equal(FrameError.DamagedField, result.Error);
        Assert.Contains("arbt_smtm_seln_vol_rate", result.Detail, StringComparison.Ordinal);
        IndexProgramTrade t = Assert.Single(records);
        Assert.Equal(0, t.MarketVolume);
        Assert.Equal(1087, t.MarketValue);
        Assert.Equal(["arbt_smtm_seln_vol_rate", "acml_vol"], t.Missing);
    }

    [Fact]
    public void Another_TR_is_not_read_as_an_index()
    {
        (ParseResult result, _) = Parse(Samples.Official);
        Assert.Equal(FrameError.UnknownTrId, result.Error);
    }
}
