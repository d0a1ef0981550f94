using System.CommandLine;
using System.Globalization;

using KisFeed.Storage;

using Microsoft.Extensions.Logging;

using Spectre.Console;

namespace KisFeed.Cli;

/// <summary>Where the tool writes: the terminal (for the board), plain stdout and stderr.</summary>
internal sealed record CliConsole(IAnsiConsole Terminal, TextWriter Out, TextWriter Error, bool IsTerminal)
{
    public static CliConsole System() => new(AnsiConsole.Console, Console.Out, Console.Error, !Console.IsOutputRedirected);
}

/// <summary>The <c>kisfeed</c> command line.</summary>
internal static partial class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        RootCommand root = Build(console);
        ParseResult parsed = root.Parse(args);
        // Signals are handled by the caller (Program.cs), which cancels cancellationToken.
        var config = new InvocationConfiguration { Output = console.Out, Error = console.Error, ProcessTerminationTimeout = null };
        return await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }

    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand(
            "kisfeed — real-time program trading (프로그램매매) from the KIS Open API for NXT, KRX and the unified market.\n" +
            "Without KIS_APPKEY/KIS_APPSECRET it runs on the built-in simulator.\n\n" +
            "Examples:\n  kisfeed watch 005930 000660\n  kisfeed record 005930 --venue all --db today.duckdb\n  kisfeed replay --db today.duckdb --speed 10\n  kisfeed export --db today.duckdb --format parquet -o trades.parquet\n  kisfeed simulate --port 21000");
        root.Subcommands.Add(WithNatsWatch(WatchCommand(console), console));
        root.Subcommands.Add(WithNatsRecord(RecordCommand(console), console));
        root.Subcommands.Add(ReplayCommand(console));
        root.Subcommands.Add(ExportCommand(console));
        root.Subcommands.Add(SimulateCommand(console));
        root.Subcommands.Add(GatewayCommand(console));
        root.Subcommands.Add(SubsCommand(console));
        return root;
    }

    // ---- shared options -------------------------------------------------------------------------------------

    private static Argument<string[]> CodesArgument() => new("codes")
    {
        Description = "Stock codes (6-digit short codes, e.g. 005930 000660).",
        Arity = ArgumentArity.OneOrMore,
    };

    private static Option<string> VenueOption() => new("--venue", "-v")
    {
        Description = "nxt (H0NXPGM0), krx (H0STPGM0), unified (H0UNPGM0) or all.",
        DefaultValueFactory = _ => "nxt",
    };

    private static Option<bool> DemoOption() => new("--demo") { Description = "Use the built-in simulator even when credentials are set." };

    private static Option<string?> ConfigOption() => new("--config") { Description = "Credentials file (JSON: appkey, appsecret, custtype). Default: ~/.config/kisfeed/config.json. Environment variables win." };

    private static Option<string?> FormatOption() => new("--format", "-f") { Description = "Output: table (live board; default on a terminal), text, jsonl or csv (one line per update; default text when not a terminal)." };

    private static Option<string> SortOption() => new("--sort") { Description = "Board order: net (program net buy value, largest first) or code.", DefaultValueFactory = _ => "net" };

    private static Option<TimeSpan?> DurationOption() => new("--duration", "-d") { Description = "Stop after this long (e.g. 30s, 00:05:00). Default: until Ctrl-C.", CustomParser = r => ParseDuration(r.Tokens.Single().Value) };

    private static Option<bool> VerboseOption() => new("--verbose") { Description = "Log connection details to stderr." };

    private static Option<string> DbOption() => new("--db") { Description = "DuckDB file.", DefaultValueFactory = _ => "kisfeed.duckdb" };

    private static Option<string?> DateOption() => new("--date") { Description = "Trading date (yyyy-MM-dd). Default: the latest recorded." };

    private static Option<string[]> CodesOption() => new("--codes") { Description = "Only these stock codes.", AllowMultipleArgumentsPerToken = true };

    internal static IReadOnlyList<Venue> ParseVenues(string text)
    {
        if (string.Equals(text.Trim(), "all", StringComparison.OrdinalIgnoreCase))
        {
            return VenueExtensions.All;
        }

        List<Venue> venues = [];
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!VenueExtensions.TryParse(part, out Venue v))
            {
                throw new CliException($"Unknown venue '{part}': use nxt, krx, unified or all.");
            }

            venues.Add(v);
        }

        return venues.Count == 0 ? throw new CliException("--venue is empty: use nxt, krx, unified or all.") : venues;
    }

    private static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            return TimeSpan.FromMilliseconds(Number(text[..^2]));
        }

        return text[^1] switch
        {
            's' or 'S' => TimeSpan.FromSeconds(Number(text[..^1])),
            'm' or 'M' => TimeSpan.FromMinutes(Number(text[..^1])),
            'h' or 'H' => TimeSpan.FromHours(Number(text[..^1])),
            _ => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
        };
    }

    private static LineFormat? ParseFormat(string? text, bool isTerminal) => text?.Trim().ToLowerInvariant() switch
    {
        null => isTerminal ? null : LineFormat.Text,
        "table" or "board" => isTerminal ? null : LineFormat.Text,
        "text" => LineFormat.Text,
        "jsonl" or "json" => LineFormat.Jsonl,
        "csv" => LineFormat.Csv,
        _ => throw new CliException($"Unknown format '{text}': use table, text, jsonl or csv."),
    };

    private static BoardSort ParseSort(string text) => text.Trim().ToLowerInvariant() switch
    {
        "net" or "value" or "netvalue" => BoardSort.NetValue,
        "code" => BoardSort.Code,
        _ => throw new CliException($"Unknown sort '{text}': use net or code."),
    };

    private static DateOnly? ParseDate(string? text) => text is null ? null
        : DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d) ? d
        : throw new CliException($"'{text}' is not a date: use yyyy-MM-dd, e.g. 2026-11-24.");

    /// <summary>Runs a command body, turning expected failures into one clear line and an exit code.</summary>
    private static async Task<int> Guard(CliConsole console, Func<CancellationToken, Task<int>> body, TimeSpan? duration, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d)
        {
            stop.CancelAfter(d);
        }

        try
        {
            return await body(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0; // Ctrl-C / SIGTERM / --duration: a clean stop
        }
        catch (Exception ex) when (ex is KisException or KisStorageException or CliException or ArgumentException or NATS.Client.Core.NatsException)
        {
            await console.Error.WriteLineAsync($"kisfeed: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static (CliLogging Logging, TextWriter Notes) Logging(CliConsole console, bool verbose, bool board)
    {
        // With the board on screen, log lines would tear the display: they go to the status line instead.
        var logging = new CliLogging(board ? null : console.Error, verbose ? LogLevel.Information : LogLevel.Warning);
        return (logging, console.Error);
    }
}
