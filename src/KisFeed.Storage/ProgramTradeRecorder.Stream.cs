using DuckDB.NET.Data;

namespace KisFeed.Storage;

/// <summary>
/// Recording from a message stream (NATS JetStream): each row remembers the stream sequence it came from, in the same
/// transaction as the row, so after a crash the recording resumes exactly after the last committed message
/// (<see cref="LastStreamSequence"/>): nothing lost, nothing stored twice.
/// </summary>
/// <remarks>
/// Table <c>stream_positions</c> (created on first use; recordings that never use it do not have it):
/// <c>stream</c> VARCHAR (stream name), <c>stream_seq</c> BIGINT (the message's sequence in the stream), <c>row_seq</c>
/// BIGINT (the <c>program_trades.seq</c> of the row, NULL for a gap message).
/// </remarks>
public sealed partial class ProgramTradeRecorder
{
    /// <summary>Name of the table of stream positions.</summary>
    public const string StreamPositionsTable = "stream_positions";

    private readonly List<(int Index, string Stream, ulong StreamSeq)> _pendingPositions = [];

    /// <summary>Buffers one update that came from message <paramref name="streamSequence"/> of <paramref name="stream"/>.</summary>
    public void AppendFromStream(in ProgramTrade trade, string stream, ulong streamSequence)
    {
        ArgumentNullException.ThrowIfNull(trade.Code, nameof(trade));
        ArgumentException.ThrowIfNullOrEmpty(stream);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_count == _options.BatchSize)
            {
                FlushLocked();
            }

            _pendingPositions.Add((_count, stream, streamSequence));
            AddLocked(trade);
        }
    }

    /// <summary>Records a gap that came from message <paramref name="streamSequence"/> (commits buffered updates first, then the gap and its position in one transaction).</summary>
    public void RecordGapFromStream(RecordingGap gap, string stream, ulong streamSequence)
    {
        ArgumentNullException.ThrowIfNull(gap);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FlushLocked();
            try
            {
                EnsurePositionsTableLocked();
                using DuckDBTransaction tx = _connection.BeginTransaction();
                AppendGapRowLocked(gap);
                using (DuckDBAppender appender = _connection.CreateAppender(StreamPositionsTable))
                {
                    appender.CreateRow().AppendValue(stream).AppendValue((long)streamSequence).AppendNullValue().EndRow();
                }

                tx.Commit();
                _gaps++;
            }
            catch (DuckDBException ex)
            {
                throw StorageFile.Translate(ex, Path, "record to");
            }
        }
    }

    /// <summary>
    /// Records a healing outcome of the gap <paramref name="gapFrom"/>–<paramref name="gapTo"/> that came from message
    /// <paramref name="streamSequence"/> (commits buffered updates first, then the outcome and its position in one transaction).
    /// </summary>
    public void RecordHealingFromStream(GapHealingReport report, DateTimeOffset gapFrom, DateTimeOffset gapTo, string stream, ulong streamSequence)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FlushLocked();
            try
            {
                EnsurePositionsTableLocked();
                using DuckDBTransaction tx = _connection.BeginTransaction();
                AppendHealingRowLocked(report, gapFrom, gapTo);
                using (DuckDBAppender appender = _connection.CreateAppender(StreamPositionsTable))
                {
                    appender.CreateRow().AppendValue(stream).AppendValue((long)streamSequence).AppendNullValue().EndRow();
                }

                tx.Commit();
            }
            catch (DuckDBException ex)
            {
                throw StorageFile.Translate(ex, Path, "record to");
            }
        }
    }

    /// <summary>
    /// Keeps a raw copy of a stream message the reader rejected (bad, damaged or forged) in table <c>rejected</c>, with
    /// its position: commits buffered updates first, then the copy and its <c>stream_positions</c> row in one
    /// transaction, so a restart resumes after it and never meets it again.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="streamSequence">The message's sequence in the stream.</param>
    /// <param name="subject">The subject it was published on.</param>
    /// <param name="reason">Why it was rejected (a short name, e.g. <c>BadTime</c>).</param>
    /// <param name="detail">What was wrong.</param>
    /// <param name="payload">The message's bytes.</param>
    /// <param name="storedAt">When the server stored it, when known.</param>
    public void RecordRejectedFromStream(string stream, ulong streamSequence, string subject, string reason, string detail, ReadOnlySpan<byte> payload, DateTimeOffset? storedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(detail);
        byte[] bytes = payload.ToArray();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FlushLocked();
            try
            {
                EnsurePositionsTableLocked();
                using DuckDBTransaction tx = _connection.BeginTransaction();
                using (DuckDBCommand insert = _connection.CreateCommand())
                {
                    insert.CommandText = $"INSERT INTO {StorageSchema.RejectedTable} VALUES ($stream, $seq, $subject, $reason, $detail, $payload, $stored, $recorded)";
                    insert.Parameters.Add(new DuckDBParameter("stream", stream));
                    insert.Parameters.Add(new DuckDBParameter("seq", (long)streamSequence));
                    insert.Parameters.Add(new DuckDBParameter("subject", subject));
                    insert.Parameters.Add(new DuckDBParameter("reason", reason));
                    insert.Parameters.Add(new DuckDBParameter("detail", detail));
                    insert.Parameters.Add(new DuckDBParameter("payload", bytes));
                    insert.Parameters.Add(new DuckDBParameter("stored", storedAt is { } at ? at.UtcDateTime : DBNull.Value));
                    insert.Parameters.Add(new DuckDBParameter("recorded", _options.TimeProvider.GetUtcNow().UtcDateTime));
                    insert.ExecuteNonQuery();
                }

                using (DuckDBAppender appender = _connection.CreateAppender(StreamPositionsTable))
                {
                    appender.CreateRow().AppendValue(stream).AppendValue((long)streamSequence).AppendNullValue().EndRow();
                }

                tx.Commit();
                _rejected++;
            }
            catch (DuckDBException ex)
            {
                throw StorageFile.Translate(ex, Path, "record to");
            }
        }
    }

    /// <summary>Rejected stream messages this recorder kept a copy of since it was opened.</summary>
    public long RejectedWritten
    {
        get
        {
            lock (_lock)
            {
                return _rejected;
            }
        }
    }

    private long _rejected; // owned by _lock

    /// <summary>The last committed stream sequence of <paramref name="stream"/> in this file (0 when none).</summary>
    public ulong LastStreamSequence(string stream)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using DuckDBCommand command = _connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM information_schema.tables WHERE table_name = '{StreamPositionsTable}'";
            if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return 0;
            }

            command.CommandText = $"SELECT coalesce(max(stream_seq), 0) FROM {StreamPositionsTable} WHERE stream = $stream";
            command.Parameters.Add(new DuckDBParameter("stream", stream));
            return (ulong)Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Called by the batch commit inside its transaction: the positions of the buffered stream rows.</summary>
    private void AppendStreamPositionsLocked(long firstRowSeq)
    {
        if (_pendingPositions.Count == 0)
        {
            return;
        }

        EnsurePositionsTableLocked();
        using DuckDBAppender appender = _connection.CreateAppender(StreamPositionsTable);
        foreach ((int index, string stream, ulong streamSeq) in _pendingPositions)
        {
            appender.CreateRow().AppendValue(stream).AppendValue((long)streamSeq).AppendValue(firstRowSeq + index).EndRow();
        }
    }

    private void EnsurePositionsTableLocked()
    {
        using DuckDBCommand command = _connection.CreateCommand();
        command.CommandText = $"CREATE TABLE IF NOT EXISTS {StreamPositionsTable} (stream VARCHAR NOT NULL, stream_seq BIGINT NOT NULL, row_seq BIGINT)";
        command.ExecuteNonQuery();
    }
}
