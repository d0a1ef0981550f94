using Microsoft.Extensions.Logging;

namespace KisFeed.Storage;

/// <summary>Source-generated log events of KisFeed.Storage (event ids 3000–3099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Recording to {Path} (next seq {NextSeq}, {Mode})")]
    public static partial void Opened(ILogger logger, string path, long nextSeq, string mode);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Committed {Count} records (seq up to {LastSeq}) in {ElapsedMs:F1} ms")]
    public static partial void Flushed(ILogger logger, int count, long lastSeq, double elapsedMs);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Could not commit {Count} records to {Path}; they stay buffered")]
    public static partial void FlushFailed(ILogger logger, Exception exception, int count, string path);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Recorded gap {From:o} .. {To:o} ({Reason})")]
    public static partial void GapRecorded(ILogger logger, DateTimeOffset from, DateTimeOffset to, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Closed recording {Path}: {Records} records in {Batches} batches this session")]
    public static partial void Closed(ILogger logger, string path, long records, long batches);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Gap healing for {Registration}: {Outcome}, {Rows} REST row(s) recorded")]
    public static partial void GapHealingOutcome(ILogger logger, string registration, string outcome, int rows);
}
