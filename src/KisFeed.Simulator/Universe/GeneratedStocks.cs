using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>
/// The made-up part of the default universe: about 2,500 stocks, each with a market, a price level and a typical
/// traded value drawn from a fixed seed (the same in every version and process, whatever the market's seed).
/// <para>
/// The distributions follow the shape of the real listing: about 62 % KOSDAQ; typical daily traded value log-normal
/// with a median of 4 billion KRW on KOSPI and 2.5 billion on KOSDAQ (σ of the log 1.3, between 30 million and 150 billion,
/// below the large caps); price level log-normal around 9,000 KRW (σ of the log 1.0, 800 to 600,000), on the tick grid.
/// </para>
/// <para>
/// The codes are laid out in blocks that contain the arbitrary well-formed codes this repository's tests, soak tool and
/// benchmarks subscribe to: 100000–101799, 200000–200399, 005930 + 7k (k = 1…299) and 005930 + 1117k (k = 1…40),
/// less any code of a large cap. Anything else (e.g. 123456, 999999) is not listed.
/// </para>
/// </summary>
internal static class GeneratedStocks
{
    /// <summary>The seed of the generated listing (fixed, so names and levels never change).</summary>
    private const ulong ListingSeed = 0x4B49_5346_4545_4431UL;

    private static readonly string[] Syllables =
    [
        "한", "빛", "솔", "누", "리", "다", "온", "새", "미", "래", "하", "늘", "바", "람", "가", "람", "유", "진", "태", "성",
        "동", "서", "남", "북", "청", "록", "금", "강", "산", "해", "도", "원", "세", "명", "보", "아", "라", "정", "우", "현",
    ];

    private static readonly string[] Suffixes =
    [
        "전자", "바이오", "화학", "제약", "테크", "소재", "건설", "금융", "에너지", "로보틱스", "반도체", "식품",
        "물산", "중공업", "디스플레이", "엔터", "통신", "소프트", "메디칼", "모빌리티", "이노베이션", "시스템", "산업", "홀딩스",
    ];

    private static readonly string[] SuffixesEn =
    [
        "Electronics", "Bio", "Chemical", "Pharm", "Tech", "Materials", "E&C", "Financial", "Energy", "Robotics", "Semiconductor", "Foods",
        "Trading", "Heavy Industries", "Display", "Entertainment", "Telecom", "Soft", "Medical", "Mobility", "Innovation", "Systems", "Industrial", "Holdings",
    ];

    /// <summary>The generated codes, in code order, less <paramref name="taken"/>.</summary>
    public static IEnumerable<string> Codes(IReadOnlySet<string> taken)
    {
        var codes = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 100_000; i < 101_800; i++)
        {
            codes.Add(i.ToString("D6", CultureInfo.InvariantCulture));
        }

        for (int i = 200_000; i < 200_400; i++)
        {
            codes.Add(i.ToString("D6", CultureInfo.InvariantCulture));
        }

        for (int k = 1; k < 300; k++)
        {
            codes.Add((5930 + (k * 7)).ToString("D6", CultureInfo.InvariantCulture));
        }

        for (int k = 1; k <= 40; k++)
        {
            codes.Add((5930 + (k * 1117)).ToString("D6", CultureInfo.InvariantCulture));
        }

        return codes.Where(c => !taken.Contains(c));
    }

    /// <summary>The generated stock for <paramref name="code"/> (a pure function of the code).</summary>
    public static SimulatedStock Make(string code)
    {
        ulong key = Mix.Hash(ListingSeed, Mix.Key(code));
        StockMarket market = Mix.Unit(Mix.Hash(key, 1)) < 0.62 ? StockMarket.Kosdaq : StockMarket.Kospi;
        double median = market == StockMarket.Kospi ? 4e9 : 2.5e9;
        long value = (long)Math.Clamp(median * Math.Exp(1.3 * Mix.Normal(Mix.Hash(key, 2))), 3e7, 1.5e11);
        long price = TickGrid.Round(Math.Clamp(9_000 * Math.Exp(Mix.Normal(Mix.Hash(key, 3))), 800, 600_000));
        int a = (int)(Mix.Hash(key, 4) % (ulong)Syllables.Length);
        int b = (int)(Mix.Hash(key, 5) % (ulong)Syllables.Length);
        int s = (int)(Mix.Hash(key, 6) % (ulong)Suffixes.Length);
        string name = SimulatorUniverse.GeneratedNamePrefix + Syllables[a] + Syllables[b] + Suffixes[s];
        string nameEn = $"Generated {SuffixesEn[s]} {code}";
        return new SimulatedStock(code, name, nameEn, market, price, value, Generated: true);
    }
}
