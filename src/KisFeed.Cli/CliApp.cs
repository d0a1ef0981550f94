using System.CommandLine;
using System.Globalization;

using KisFeed.Storage;

using Microsoft.Extensions.Logging;

using Spectre.Console;

namespace KisFeed.Cli;

/// <summary>Where the tool writes: the terminal (for the board), plain stdout and stderr; and where it reads the environment.</summary>
internal sealed record CliConsole(IAnsiConsole Terminal, TextWriter Out, TextWriter Error, bool IsTerminal, Func<string, string?>? Environment = null, TimeProvider? Clock = null)
{
    /// <summary>The clock of the demo simulator and the client (the system's unless a test gives its own, e.g. to run at a chosen KST hour).</summary>
    public TimeProvider Time => Clock ?? TimeProvider.System;

    public static CliConsole System() => new(AnsiConsole.Console, Console.Out, Console.Error, !Console.IsOutputRedirected);

    /// <summary>An environment variable (the process environment unless a test gives its own).</summary>
    public string? Env(string name) => (Environment ?? global::System.Environment.GetEnvironmentVariable)(name);
}

/// <summary>The <c>kisfeed</c> command line.</summary>
internal static partial class CliApp
{
    public const string ExitCodesHelp = "Exit codes: 0 done (also after Ctrl-C or --duration), 1 failure at run time (connection, KIS refused, storage), 2 usage error (bad option or value, incomplete credentials).";

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        RootCommand root = Build(console);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line per problem and exit code 2, instead of the full help text. An unknown command is one problem,
            // said once (not also "Required command was not provided").
            IEnumerable<string> messages = parsed.Errors.Select(e => OneLine(e.Message));
            if (parsed.CommandResult.Command is RootCommand && parsed.UnmatchedTokens.Count > 0)
            {
                string names = string.Join(", ", root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
                messages = [$"unknown command '{parsed.UnmatchedTokens[0]}'. Commands: {names}."];
            }

            foreach (string message in messages)
            {
                await console.Error.WriteLineAsync($"kisfeed: {message}").ConfigureAwait(false);
            }

            string command = parsed.CommandResult.Command is RootCommand ? string.Empty : parsed.CommandResult.Command.Name + " ";
            await console.Error.WriteLineAsync($"Try 'kisfeed {command}--help'.").ConfigureAwait(false);
            return CliException.UsageError;
        }

        // Help says 'kisfeed' (the tool's command), not the assembly's name.
        var help = new StringWriter();
        bool isHelp = parsed.Action is System.CommandLine.Help.HelpAction;
        // Signals are handled by the caller (Program.cs), which cancels cancellationToken.
        var config = new InvocationConfiguration { Output = isHelp ? help : console.Out, Error = console.Error, ProcessTerminationTimeout = null };
        int exit = await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        if (isHelp)
        {
            await console.Out.WriteAsync(help.ToString().Replace(RootCommand.ExecutableName, "kisfeed", StringComparison.Ordinal)).ConfigureAwait(false);
        }

        return exit;
    }

    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand(
            "kisfeed — real-time program trading (프로그램매매) from the KIS Open API for NXT, KRX and the unified market.\n" +
            "With no KIS credentials at all (or with --demo) it runs on the built-in simulator; a partial setup is an error.\n\n" +
            "Examples:\n  kisfeed watch 005930 000660\n  kisfeed record 005930 --venue all --db today.duckdb\n  kisfeed replay --db today.duckdb --speed 10\n  kisfeed export --db today.duckdb --format parquet -o trades.parquet\n  kisfeed simulate --port 21000\n\n" + ExitCodesHelp);
        root.Subcommands.Add(WithNatsWatch(WatchCommand(console), console));
        root.Subcommands.Add(WithNatsRecord(RecordCommand(console), console));
        root.Subcommands.Add(ReplayCommand(console));
        root.Subcommands.Add(ExportCommand(console));
        root.Subcommands.Add(InfoCommand(console));
        root.Subcommands.Add(SimulateCommand(console));
        root.Subcommands.Add(GatewayCommand(console));
        root.Subcommands.Add(SubsCommand(console));
        root.Subcommands.Add(WithNatsServe(ServeCommand(console), console));
        root.Subcommands.Add(HistoryCommand(console));
        root.Subcommands.Add(GenerateCommand(console));
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
        Description = "all (default: KRX H0STPGM0, NXT H0NXPGM0 and unified H0UNPGM0), or one of krx, nxt, unified (comma-separated for several).",
        DefaultValueFactory = _ => "all",
    };

    private static Option<bool> FromStartOption() => new("--from-start")
    {
        Description = "Start from the REST rows of the trading day so far, then go on live (no hole, no duplicate). Needs the app key and secret; the demo simulator serves REST too.",
    };

    private static Option<bool> DemoOption() => new("--demo") { Description = "Use the built-in simulator even when credentials are set." };

    private static Option<string?> ConfigOption() => new("--config") { Description = "Credentials file (JSON: appkey, appsecret, custtype). Default: ~/.config/kisfeed/config.json. Environment variables win." };

    private static Option<string?> FormatOption() => new("--format", "-f") { Description = "Output: table (live board; default on a terminal), text, jsonl or csv (one line per update; default text when not a terminal)." };

    private static Option<string> SortOption() => new("--sort") { Description = "Board order: net (program net buy value, largest first) or code.", DefaultValueFactory = _ => "net" };

    private static Option<TimeSpan?> DurationOption() => new("--duration", "-d") { Description = "Stop after this long (" + Durations.Examples + "). Default: until Ctrl-C.", CustomParser = ParseDuration };

    private static Option<bool> VerboseOption() => new("--verbose") { Description = "Log connection details to stderr (the simulator's web-hosting logs stay at warnings; set KISFEED_LOG_HOSTING=1 for those too)." };

    private static Option<string> DbOption() => new("--db") { Description = "DuckDB file.", DefaultValueFactory = _ => "kisfeed.duckdb" };

    private static Option<string?> DateOption() => new("--date") { Description = "Trading date (yyyy-MM-dd). Default: the latest recorded." };

    private static Option<string[]> CodesOption() => new("--codes") { Description = "Only these stock codes.", AllowMultipleArgumentsPerToken = true };

    /// <summary>A venue as <see cref="VenueExtensions.TryParse"/> reads it, or a short form people type (<c>st</c>, <c>nx</c>, <c>un</c>, <c>total</c>, <c>통합</c>).</summary>
    internal static bool TryParseVenue(string? text, out Venue venue)
    {
        if (VenueExtensions.TryParse(text, out venue))
        {
            return true;
        }

        switch (text?.Trim().ToUpperInvariant())
        {
            case "ST": venue = Venue.Krx; return true;
            case "NX": venue = Venue.Nxt; return true;
            case "UN" or "TOTAL" or "통합": venue = Venue.Unified; return true;
            default: venue = default; return false;
        }
    }

    internal static IReadOnlyList<Venue> ParseVenues(string text)
    {
        if (string.Equals(text.Trim(), "all", StringComparison.OrdinalIgnoreCase))
        {
            return VenueExtensions.All;
        }

        List<Venue> venues = [];
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParseVenue(part, out Venue v))
            {
                throw CliException.Usage($"Unknown venue '{part}': use nxt, krx, unified or all.");
            }

            venues.Add(v);
        }

        return venues.Count == 0 ? throw CliException.Usage("--venue is empty: use nxt, krx, unified or all.") : venues;
    }

    private static TimeSpan? ParseDuration(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        if (Durations.TryParse(text, out TimeSpan value, out string error))
        {
            return value;
        }

        result.AddError("--duration: " + error);
        return null;
    }

    private static LineFormat? ParseFormat(string? text, bool isTerminal) => text?.Trim().ToLowerInvariant() switch
    {
        null => isTerminal ? null : LineFormat.Text,
        "table" or "board" => isTerminal ? null : LineFormat.Text,
        "text" => LineFormat.Text,
        "jsonl" or "json" => LineFormat.Jsonl,
        "csv" => LineFormat.Csv,
        _ => throw CliException.Usage($"Unknown format '{text}': use table, text, jsonl or csv."),
    };

    private static BoardSort ParseSort(string text) => text.Trim().ToLowerInvariant() switch
    {
        "net" or "value" or "netvalue" => BoardSort.NetValue,
        "code" => BoardSort.Code,
        _ => throw CliException.Usage($"Unknown sort '{text}': use net or code."),
    };

    private static DateOnly? ParseDate(string? text) => text is null ? null
        : DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d) ? d
        : throw CliException.Usage($"'{text}' is not a date: use yyyy-MM-dd, e.g. 2026-11-24.");

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
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync($"kisfeed: {OneLine(ex.Message)}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (Exception ex) when (ex is KisException or KisStorageException or ArgumentException or IOException or UnauthorizedAccessException or NATS.Client.Core.NatsException)
        {
            await console.Error.WriteLineAsync($"kisfeed: {Messages.Describe(ex)}").ConfigureAwait(false);
            return CliException.RunTimeFailure;
        }
    }

    internal static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static (CliLogging Logging, TextWriter Notes) Logging(CliConsole console, bool verbose, bool board)
    {
        // With the board on screen, log lines would tear the display: they go to the status line instead.
        var logging = new CliLogging(board ? null : console.Error, verbose ? LogLevel.Information : LogLevel.Warning, hosting: console.Env("KISFEED_LOG_HOSTING") is "1" or "true");
        return (logging, console.Error);
    }
}
