using Microsoft.Extensions.Logging;

namespace KisFeed.Cli;

/// <summary>
/// Logging for the tool: warnings and errors go to stderr as one line each, or, while the live board owns the
/// terminal, into the board's status line instead (so the display is not torn).
/// </summary>
internal sealed class CliLogging : ILoggerProvider
{
    private readonly TextWriter? _stderr;
    private readonly LogLevel _minimum;
    private volatile string? _last;

    public CliLogging(TextWriter? stderr, LogLevel minimum)
    {
        _stderr = stderr;
        _minimum = minimum;
        Factory = LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(minimum));
    }

    public ILoggerFactory Factory { get; }

    /// <summary>The latest warning or error, for the status line.</summary>
    public string? LastMessage => _last;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string message)
    {
        if (level >= LogLevel.Warning)
        {
            _last = $"{DateTime.Now:HH:mm:ss} {message}";
        }

        if (_stderr is not null)
        {
            lock (_stderr)
            {
                _stderr.WriteLine($"{level.ToString().ToLowerInvariant()[..4]}: {message}");
            }
        }
    }

    private sealed class Logger(CliLogging owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Write(logLevel, formatter(state, exception));
            }
        }
    }
}
