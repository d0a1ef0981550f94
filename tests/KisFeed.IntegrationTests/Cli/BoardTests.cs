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

    /// <summary>The position of a column among the table's columns (-1 when not shown).</summary>
    private static int Column(string[] lines, string header) =>
        Array.FindIndex(lines.First(l => l.Contains("종목", StringComparison.Ordinal)).Split('│'), h => h.Trim() == header);

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
        Assert.Contains("17.6", lines[total]);      // 43.5 - 25.9 + 0.0
        Assert.Contains(" 7s", lines[samsung]);     // age of the row
        Assert.DoesNotContain("-0.0", string.Join('\n', lines));
        Assert.DoesNotContain("+0 ", string.Join('\n', lines));
        Assert.Contains("KRX main · NXT main", string.Join('\n', lines));
    }

    [Fact]
    public void NetIsShownOnceLabelledUnifiedAndKrxComesBeforeNxt()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        foreach ((int w, int h) in new[] { (80, 24), (120, 30), (200, 50) })
        {
            string[] lines = Render(board, Live, w, h);
            string screen = string.Join('\n', lines);
            Assert.Single(lines, l => l.Contains("통합 순매수", StringComparison.Ordinal));
            Assert.DoesNotContain("통합 억", screen, StringComparison.Ordinal); // the unified net is not a second column
            if (w >= 120)
            {
                Assert.True(Column(lines, "KRX") > 0 && Column(lines, "KRX") < Column(lines, "NXT"), screen);
            }
        }

        // Without the unified venue the net column says what it adds up.
        var two = new ProgramTradeBoard(BoardSort.NetValue, BoardNames.Default, new FakeTimeProvider(Morning));
        two.Apply(Trade("005930", Venue.Krx, 1_000_000_000, Morning));
        two.Apply(Trade("005930", Venue.Nxt, 200_000_000, Morning));
        string[] both = Render(two, Live, 120, 30);
        Assert.Contains(both, l => l.Contains("KRX+NXT 순매수", StringComparison.Ordinal));
        Assert.Contains(both, l => l.Contains("12.0", StringComparison.Ordinal)); // 10.0 + 2.0 억
    }

    [Fact]
    public void TheStatusLineNeverWrapsAndSaysRejectedAtEveryWidth()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        var busy = Live with { Records = 1_234_567, Reconnects = 12, Dropped = 3_456, Rejected = 789 };
        foreach (int w in new[] { 60, 80, 100, 120, 200 })
        {
            string[] lines = Render(board, busy, w, 30);
            string status = Assert.Single(lines, l => l.StartsWith("Connected", StringComparison.Ordinal));
            Assert.True(ProgramTradeBoard.Cells(status) <= w, $"{w}: {status}");
            Assert.Contains("rejected", status, StringComparison.Ordinal);
            Assert.Contains("789", status, StringComparison.Ordinal);
            Assert.DoesNotContain("bad", string.Join('\n', lines), StringComparison.Ordinal);
            int at = Array.IndexOf(lines, status);
            Assert.False(lines[at + 1].TrimStart().StartsWith("frames", StringComparison.Ordinal), string.Join('\n', lines));
        }
    }

    [Fact]
    public void WindowsAreBlankUntilCoveredThenExactAndAGapBlanksThemUntilHealed()
    {
        (ProgramTradeBoard board, FakeTimeProvider clock) = ThreeCodesOnAllVenues();
        // Updates since 09:56:00; now 10:00:37: a minute is covered, five are not.
        string[] lines = Render(board, Live, 200, 50);
        string samsung = lines.Single(l => l.Contains("삼성전자", StringComparison.Ordinal));
        int d5 = Column(lines, "Δ5m");
        int d1 = Column(lines, "Δ1m");
        Assert.True(d5 > 0 && d1 > 0, string.Join('\n', lines));
        Assert.Contains("–", Cell(samsung, lines, "Δ5m"), StringComparison.Ordinal);
        Assert.Equal("7.0", Cell(samsung, lines, "Δ1m")); // 43.5 at 10:00:30 − 36.5 at 09:59:30

        // At 10:01:30 (one more update) five minutes back is 09:56:30: covered.
        DateTimeOffset t = Morning.AddSeconds(90);
        board.Apply(Trade("005930", Venue.Unified, 4_700_000_000, t, 10));
        clock.SetUtcNow(t);
        lines = Render(board, Live, 200, 50);
        samsung = lines.Single(l => l.Contains("삼성전자", StringComparison.Ordinal));
        Assert.Equal("31.5", Cell(samsung, lines, "Δ5m")); // 47.0 − 15.5 (the 09:56:30 update)

        // A gap of the unified registration blanks both windows until its healing outcome says healed.
        var reg = new Registration(Venue.Unified, "005930");
        board.Apply(FeedItem.FromGap(new DataGap(5, t.AddSeconds(5), t.AddSeconds(20), [reg], "reconnect")));
        board.Apply(Trade("005930", Venue.Unified, 4_800_000_000, t.AddSeconds(20), 11));
        clock.SetUtcNow(t.AddSeconds(25));
        lines = Render(board, Live, 200, 50);
        samsung = lines.Single(l => l.Contains("삼성전자", StringComparison.Ordinal));
        Assert.Contains("–", Cell(samsung, lines, "Δ5m"), StringComparison.Ordinal);
        Assert.Contains("–", Cell(samsung, lines, "Δ1m"), StringComparison.Ordinal);
        board.Apply(FeedItem.FromHealing(new GapHealingReport(5, reg, GapHealing.Healed, 0, null, null, "no rows inside the gap")));
        lines = Render(board, Live, 200, 50);
        samsung = lines.Single(l => l.Contains("삼성전자", StringComparison.Ordinal));
        Assert.Equal("4.5", Cell(samsung, lines, "Δ1m")); // 48.0 at 10:01:50 − 43.5 (10:00:30's, the value at 10:00:55)
    }

    /// <summary>The text of a row under a header (cells split on the table's │ borders).</summary>
    private static string Cell(string row, string[] lines, string header)
    {
        string[] heads = lines.First(l => l.Contains("종목", StringComparison.Ordinal)).Split('│');
        int at = Array.FindIndex(heads, h => h.Trim() == header);
        Assert.True(at > 0, $"no column '{header}' in: {string.Join('|', heads)}");
        return row.Split('│')[at].Trim();
    }

    [Fact]
    public void APriceColumnShowsWhenAPriceSourceGivesOne()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        Assert.DoesNotContain("가격", string.Join('\n', Render(board, Live, 120, 30)), StringComparison.Ordinal);
        board.SetQuote("005930", 71_300, 1.28);
        string[] lines = Render(board, Live, 120, 30);
        string samsung = lines.Single(l => l.Contains("삼성전자", StringComparison.Ordinal));
        Assert.Equal("71,300", Cell(samsung, lines, "가격"));
        Assert.Equal("+1.28", Cell(samsung, lines, "등락%"));
        Assert.Equal("–", Cell(lines.Single(l => l.Contains("SK하이닉스", StringComparison.Ordinal)), lines, "가격"));
    }

    [Fact]
    public void AfterTheStreamEndsTheFooterNoLongerOffersCtrlC()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        Assert.Contains("Ctrl-C to quit", string.Join('\n', Render(board, Live, 80, 24)), StringComparison.Ordinal);
        string stopped = string.Join('\n', Render(board, Live with { State = "Stopped", Ended = true }, 80, 24));
        Assert.DoesNotContain("Ctrl-C", stopped, StringComparison.Ordinal);
        Assert.Contains("Stopped", stopped, StringComparison.Ordinal);
    }

    [Fact]
    public void At200x50TheBoardUsesTheWidth()
    {
        (ProgramTradeBoard board, _) = ThreeCodesOnAllVenues();
        string[] narrow = Render(board, Live, 80, 24);
        string[] wide = Render(board, Live, 200, 50);
        Assert.All(wide, l => Assert.True(ProgramTradeBoard.Cells(l) <= 200, l));
        string screen = string.Join('\n', wide);
        foreach (string header in new[] { "통합 순매수", "Δ5m", "KRX", "NXT", "Δ1m", "매수", "매도", "Age", "Code", "Δ 백만", "Time", "순매수 주", "Updates" })
        {
            Assert.Contains(header, screen);
        }

        string samsung = wide.Single(l => l.Contains("삼성전자", StringComparison.Ordinal));
        Assert.Contains("005930", samsung);
        Assert.True(samsung.Contains("+350", StringComparison.Ordinal), screen);  // the last change of the unified row, in 백만원
        Assert.Contains("152.5", samsung);   // buy value 15,250,000,000 KRW = 152.5 억
        Assert.Contains("109.0", samsung);   // sell value
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
        string[] lines = Render(board, Live with { IsDemo = true, Source = "Demo (no KIS credentials set): built-in simulator at ws://127.0.0.1:37693 — simulated data, not the market" }, 80, 24);
        string screen = string.Join('\n', lines);
        Assert.Contains("demo time", screen);
        Assert.DoesNotContain("NXT main", screen);
        string notice = Assert.Single(lines, l => l.StartsWith("Demo", StringComparison.Ordinal)); // once, fitted: never wrapped mid-word
        Assert.True(ProgramTradeBoard.Cells(notice) <= 80, notice);
        Assert.Equal("Demo: built-in simulator — simulated data, not the market", notice.TrimEnd()); // what matters survives the fit
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
            terminal.Profile.Width = 80;
            terminal.Profile.Height = 24;
            var console = new CliConsole(terminal, new StringWriter(), new StringWriter(), IsTerminal: true, _ => null);
            int exit = await CliApp.RunAsync(["watch", "005930", "--duration", "2s"], console, TestContext.Current.CancellationToken);
            Assert.True(exit == 0, console.Error.ToString() + terminal.Output);
            string last = LastFrame(terminal.Output);
            Assert.Contains("Stopped", last);
            Assert.DoesNotContain("Connected", last);
            Assert.DoesNotContain("Ctrl-C", last);

            // The demo notice once, on the board, fitted to 80 columns (not also printed above it, where the terminal wraps it).
            Assert.DoesNotContain("Demo", console.Out.ToString());
            string[] frame = last.Split('\n');
            string notice = Assert.Single(frame, l => l.StartsWith("Demo", StringComparison.Ordinal));
            Assert.True(ProgramTradeBoard.Cells(notice.TrimEnd()) <= 80, notice);
            Assert.All(frame, l => Assert.True(ProgramTradeBoard.Cells(l.TrimEnd()) <= 80, l));

            string db = Path.Combine(dir, "b.duckdb");
            (int recorded, _, string err) = await CliHarness.RunAsync("record", "005930", "--venue", "all", "--db", db, "--duration", "3s");
            Assert.True(recorded == 0, err);
            terminal = new TestConsole();
            terminal.Profile.Width = 120;
            console = console with { Terminal = terminal, Out = new StringWriter() };
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
