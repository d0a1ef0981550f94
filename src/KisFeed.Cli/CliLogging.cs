using System.Globalization;

using Microsoft.Extensions.Logging;

namespace KisFeed.Cli;

/// <summary>
/// Logging for the tool: one line per message, stamped in KST, to stderr, or, while the live board owns the terminal,
/// into the board's status line instead (so the display is not torn). Web-hosting logs of the in-process simulator
/// (ASP.NET Core, <c>Microsoft.*</c>) stay at warnings unless hosting logs are asked for.
/// </summary>
internal sealed class CliLogging : ILoggerProvider
{
    private readonly TextWriter? _stderr;
    private readonly LogLevel _minimum;
    private readonly bool _hosting;
    private readonly TimeProvider _time;
    private volatile string? _last;

    public CliLogging(TextWriter? stderr, LogLevel minimum, bool hosting = false, TimeProvider? time = null)
    {
        _stderr = stderr;
        _minimum = minimum;
        _hosting = hosting;
        _time = time ?? TimeProvider.System;
        Factory = LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Trace));
    }

    public ILoggerFactory Factory { get; }

    /// <summary>The latest warning or error, for the status line.</summary>
    public string? LastMessage => _last;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>A notice from the tool itself (e.g. a refused code): shown like a warning.</summary>
    public void Notice(string message) => Write(LogLevel.Warning, message);

    private bool IsEnabled(string category, LogLevel level) =>
        level != LogLevel.None && level >= (!_hosting && category.StartsWith("Microsoft.", StringComparison.Ordinal) ? LogLevel.Warning : _minimum);

    internal void Write(LogLevel level, string message)
    {
        string line = $"{KoreaTime.Now(_time):HH:mm:ss} KST {CliApp.OneLine(message)}";
        if (level >= LogLevel.Warning)
        {
            _last = line;
        }

        if (_stderr is not null)
        {
            lock (_stderr)
            {
                _stderr.WriteLine($"{level.ToString().ToLowerInvariant()[..4]}: {line}");
            }
        }
    }

    /// <summary>The session's reconnect and gap messages, in the tool's words: one line, times in KST.</summary>
    internal static string? Rewrite(EventId id, IReadOnlyList<KeyValuePair<string, object?>>? values)
    {
        if (values is null)
        {
            return null;
        }

        object? Get(string name) => values.FirstOrDefault(v => v.Key == name).Value;
        static string Short(object? reason) => reason is string r && r.Length > 120 ? r[..120] + "…" : reason?.ToString() ?? string.Empty;
        switch (id.Id)
        {
            case 1002 when Get("Delay") is TimeSpan delay:
                return string.Create(CultureInfo.InvariantCulture,
                    $"connection lost ({Short(Get("Reason"))}); reconnecting in {delay.TotalSeconds:0.#} s (attempt {Get("Attempt")})");
            case 1008 when Get("From") is DateTimeOffset from && Get("To") is DateTimeOffset to:
                return string.Create(CultureInfo.InvariantCulture,
                    $"data gap {KoreaTime.ToKst(from):HH:mm:ss}–{KoreaTime.ToKst(to):HH:mm:ss} KST ({(to - from).TotalSeconds:0.#} s) for {Get("Count")} registration(s): {Short(Get("Reason"))}");
            default:
                return null;
        }
    }

    private sealed class Logger(CliLogging owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => owner.IsEnabled(category, logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                bool session = category.StartsWith("KisFeed.", StringComparison.Ordinal) && !category.StartsWith("KisFeed.Simulator", StringComparison.Ordinal);
                string? rewritten = session ? Rewrite(eventId, state as IReadOnlyList<KeyValuePair<string, object?>>) : null;
                owner.Write(logLevel, rewritten ?? formatter(state, exception));
            }
        }
    }
}
