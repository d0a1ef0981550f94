using KisFeed.Cli;

using Microsoft.Extensions.Time.Testing;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Cli;

/// <summary>Issue 13, "The board as a trader reads it": rendered at 80×24 and 200×50 in Spectre's TestConsole.</summary>
public sealed class BoardTests
{
    // A Tuesday, 10:00:00 KST.
    private static readonly DateTimeOffset Morning = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);

    private static string[] Render(ProgramTradeBoard board, BoardStatus status, int width, int height)
    {
        var console = new TestConsole();
        console.Profile.Width = width;
        console.Profile.Height = height;
        console.Write(board.Render(status));
        return console.Output.TrimEnd('\n').Split('\n');
    }

    /// <summary>An update whose cumulative values grow with <paramref name="step"/>, as a trading day's do.</summary>
    private static ProgramTrade Trade(string code, Venue venue, long netValue, DateTimeOffset at, int step = 0)
    {
        long sellValue = 10_000_000_000 + (step * 100_000_000L);
        long buyValue = sellValue + netValue;
        return new ProgramTrade(venue, code, new DateOnly(2026, 11, 24), TimeOnly.FromDateTime(at.ToOffset(TimeSpan.FromHours(9)).DateTime),
            100_000 + step, sellValue, 100_000 + step + (netValue / 70_000), buyValue, netValue / 70_000, netValue, 5_000, 7_000, 2_000, at);
    }

    private static (ProgramTradeBoard Board, FakeTimeProvider Clock) ThreeCodesOnAllVenues()
    {
        var clock = new FakeTimeProvider(Morning);
        var board = new ProgramTradeBoard(BoardSort.NetValue, new BoardNames(new Dictionary<string, string> { ["005930"] = "삼성전자", ["000660"] = "SK하이닉스" }), clock);
        DateTimeOffset t = Morning.AddMinutes(-4);
        for (int i = 0; i < 10; i++, t = t.AddSeconds(30))
        {
            // 005930 buys more and more; 000660 sells; 123450 (not in the table) is near zero.
            board.Apply(Trade("005930", Venue.Krx, 1_000_000_000 + (i * 300_000_000L), t, i));
            board.Apply(Trade("005930", Venue.Nxt, 200_000_000 + (i * 50_000_000L), t, i));
            board.Apply(Trade("005930", Venue.Unified, 1_200_000_000 + (i * 350_000_000L), t, i));
            board.Apply(Trade("000660", Venue.Krx, -2_000_000_000 - (i * 10_000_000L), t, i));
            board.Apply(Trade("000660", Venue.Nxt, -500_000_000, t, i));
            board.Apply(Trade("000660", Venue.Unified, -2_500_000_000 - (i * 10_000_000L), t, i));
            board.Apply(Trade("123450", Venue.Unified, -1_000_000, t, i)); // -0.01 억: must read 0.0, not -0.0
        }

        clock.SetUtcNow(t.AddSeconds(-30 + 7)); // the last update is 7 s old
        return (board, clock);
    }

    private static readonly BoardStatus Live = new("Live: ws://ops.koreainvestment.com:21000", "Connected", 70, 0, 0, 0);

    [Fact]
    public void At80x24EveryLineFitsAndNoNumberIsBroken()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        string[] lines = Render(board, Live, 80, 24);
        Assert.All(lines, l => Assert.True(ProgramTradeBoard.Cells(l) <= 80, $"{ProgramTradeBoard.Cells(l)} cells: {l}"));
        Assert.True(lines.Length <= 24, string.Join('\n', lines));

        // One row per code, named, sorted by net value; the totals row; numbers whole on their row.
        int samsung = Array.FindIndex(lines, l => l.Contains("삼성전자", StringComparison.Ordinal));
        int hynix = Array.FindIndex(lines, l => l.Contains("SK하이닉스", StringComparison.Ordinal));
        int unknown = Array.FindIndex(lines, l => l.Contains("123450", StringComparison.Ordinal));
        int total = Array.FindIndex(lines, l => l.Contains("합계", StringComparison.Ordinal));
        Assert.True(samsung > 0 && unknown > samsung && hynix > unknown && total > hynix, string.Join('\n', lines));
        Assert.Single(lines, l => l.Contains("삼성전자", StringComparison.Ordinal));
        Assert.True(lines[samsung].Contains("43.5", StringComparison.Ordinal), string.Join("\n", lines));    // unified net 4,350,000,000 KRW = 43.5 억
        Assert.Contains("-25.9", lines[hynix]);
        Assert.Contains("152.5", lines[samsung]);   // buy value 15,250,000,000 KRW = 152.5 억
        Assert.Contains("109.0", lines[samsung]);   // sell value
        Assert.Contains("17.6", lines[total]);      // 43.5 - 25.9 + 0.0
        Assert.Contains(" 7s", lines[samsung]);     // age of the row
        Assert.DoesNotContain("-0.0", string.Join('\n', lines));
        Assert.DoesNotContain("+0 ", string.Join('\n', lines));
        Assert.Contains("NXT main · KRX main", string.Join('\n', lines));
    }

    [Fact]
    public void At200x50TheBoardUsesTheWidth()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        string[] narrow = Render(board, Live, 80, 24);
        string[] wide = Render(board, Live, 200, 50);
        Assert.All(wide, l => Assert.True(ProgramTradeBoard.Cells(l) <= 200, l));
        string screen = string.Join('\n', wide);
        foreach (string header in new[] { "NXT 억", "KRX 억", "통합 억", "매수 억", "매도 억", "추이", "Age", "Code", "Δ 백만", "Time", "순매수 주", "Updates" })
        {
            Assert.Contains(header, screen);
        }

        string samsung = wide.Single(l => l.Contains("삼성전자", StringComparison.Ordinal));
        Assert.Contains("005930", samsung);
        Assert.True(samsung.Contains("+350", StringComparison.Ordinal), screen);  // the last change of the unified row, in 백만원
        Assert.Matches("[▁▂▃▄▅▆▇█]{5,}", samsung); // the trend of net buying
        Assert.True(wide[0].Length > narrow[0].Length);
        Assert.DoesNotContain("Updates", string.Join('\n', narrow));
    }

    [Fact]
    public void ManyCodesAt80x24StillFitTheScreen()
    {
        var clock = new FakeTimeProvider(Morning);
        var board = new ProgramTradeBoard(BoardSort.NetValue, BoardNames.Default, clock);
        for (int i = 0; i < 40; i++)
        {
            board.Apply(Trade((100_000 + i).ToString("D6", System.Globalization.CultureInfo.InvariantCulture), Venue.Nxt, i * 100_000_000L, Morning));
        }

        string[] lines = Render(board, Live, 80, 24);
        Assert.True(lines.Length <= 24, $"{lines.Length} lines");
        Assert.Contains(lines, l => l.Contains("more", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("합계", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDemoSaysDemoTimeAndTheBoardKnowsTheEmbeddedNames()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        string screen = string.Join('\n', Render(board, Live with { IsDemo = true, Source = "Demo: built-in simulator" }, 80, 24));
        Assert.Contains("demo time", screen);
        Assert.DoesNotContain("NXT main", screen);
        Assert.Equal("삼성전자", BoardNames.Default.Of("005930"));
        Assert.Null(BoardNames.Default.Of("999999"));
        Assert.True(BoardNames.Default.Count >= 30);
    }

    [Theory]
    [InlineData(8, 10, 0, "pre", "closed")]
    [InlineData(8, 55, 0, "closed", "closed")]
    [InlineData(9, 0, 10, "closed", "main")]
    [InlineData(9, 0, 30, "main", "main")]
    [InlineData(15, 25, 0, "closed", "main")]
    [InlineData(15, 45, 0, "after", "closed")]
    [InlineData(16, 30, 0, "after", "after")]
    [InlineData(20, 0, 0, "closed", "closed")]
    public void SessionStatesFollowTheKstClock(int hour, int minute, int second, string nxt, string krx)
    {
        var kst = new DateTimeOffset(2026, 11, 24, hour, minute, second, TimeSpan.FromHours(9));
        Assert.Equal(nxt, MarketSessions.StateOf(Venue.Nxt, kst));
        Assert.Equal(krx, MarketSessions.StateOf(Venue.Krx, kst));
        Assert.Equal("closed", MarketSessions.StateOf(Venue.Krx, new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.FromHours(9)))); // a Saturday
    }

    [Fact]
    public void NumbersNeverReadMinusZeroOrPlusZero()
    {
        Assert.Equal("0.0", KisFeed.Cli.LineWriter.Eok(-1));
        Assert.Equal("0.0", KisFeed.Cli.LineWriter.Eok(-4_000_000));
        Assert.Equal("-0.1", KisFeed.Cli.LineWriter.Eok(-5_000_000));
        Assert.Equal("0", KisFeed.Cli.LineWriter.SignedNumber(0.4, 0));
        Assert.Equal("0", KisFeed.Cli.LineWriter.SignedNumber(-0.4, 0));
        Assert.Equal("+1", KisFeed.Cli.LineWriter.SignedNumber(0.6, 0));
    }

    [Fact]
    public async Task TheBoardStopsSayingConnectedOrReplayingOnceTheStreamHasEnded()
    {
        string dir = Directory.CreateTempSubdirectory("kisfeed-board-").FullName;
        try
        {
            var terminal = new TestConsole();
            terminal.Profile.Width = 120;
            terminal.Profile.Height = 30;
            var console = new CliConsole(terminal, new StringWriter(), new StringWriter(), IsTerminal: true, _ => null);
            int exit = await CliApp.RunAsync(["watch", "005930", "--duration", "2s"], console, TestContext.Current.CancellationToken);
            Assert.True(exit == 0, console.Error.ToString() + terminal.Output);
            string last = LastFrame(terminal.Output);
            Assert.Contains("Stopped", last);
            Assert.DoesNotContain("Connected", last);

            string db = Path.Combine(dir, "b.duckdb");
            (int recorded, _, string err) = await CliHarness.RunAsync("record", "005930", "--venue", "all", "--db", db, "--duration", "3s");
            Assert.True(recorded == 0, err);
            terminal = new TestConsole();
            terminal.Profile.Width = 120;
            console = console with { Terminal = terminal };
            exit = await CliApp.RunAsync(["replay", "--db", db, "--speed", "max"], console, TestContext.Current.CancellationToken);
            Assert.True(exit == 0, console.Error.ToString() + terminal.Output);
            last = LastFrame(terminal.Output);
            Assert.Contains("Replay finished", last);
            Assert.DoesNotContain("Replaying", last);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The text after the last board frame starts (each frame begins with the table's top border).</summary>
    private static string LastFrame(string output) => output[output.LastIndexOf('╭')..];
}
