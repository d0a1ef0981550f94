using System.Collections.Concurrent;

using Microsoft.Extensions.Logging;

namespace KisFeed.TestKit;

/// <summary>A logger provider that keeps every line (level, category, event id, message, exception) for assertions.</summary>
public sealed class CapturingLogs : ILoggerProvider
{
    /// <summary>One log call.</summary>
    public sealed record Line(LogLevel Level, string Category, int EventId, string Message, Exception? Exception);

    public ConcurrentQueue<Line> Lines { get; } = new();

    public string AllText => string.Join('\n', Lines.Select(l => $"{l.Level} {l.Category}[{l.EventId}] {l.Message} {l.Exception?.GetType().Name}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue(new Line(logLevel, category, eventId.Id, formatter(state, exception), exception));
    }
}
