using System.Globalization;
using System.Text;

namespace KisFeed.Simulator;

/// <summary>
/// The simulator's ledger as a file (<see cref="SimulatorOptions.LedgerFile"/>), for a test that runs the simulator in
/// another process: one line per data record written to a socket, and a status line every second and at the end. Tab
/// separated, UTF-8:
/// <code>
/// R  sent-at (ISO 8601)  session  frame-seq  index-in-frame  tr_id  field^field^…
/// S  at (ISO 8601)  records-sent  opsp8996-replies  most-sessions-on-one-key  live-sessions
/// </code>
/// The simulator's own bookkeeping, not a KIS feature.
/// </summary>
public sealed class SimulatorLedgerFile : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();
    private bool _disposed;

    internal SimulatorLedgerFile(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false), 1 << 16);
    }

    /// <summary>The counters of a status line.</summary>
    /// <param name="At">When the line was written.</param>
    /// <param name="RecordsSent">Data records written to sockets since start.</param>
    /// <param name="AlreadyInUseReplies">OPSP8996 replies: a session tried to bind an app key another session (or a lock) held.</param>
    /// <param name="MostSessionsOnOneKey">The most sessions bound to one app key at the same moment since start.</param>
    /// <param name="LiveSessions">WebSocket sessions open when the line was written.</param>
    public sealed record Status(DateTimeOffset At, long RecordsSent, long AlreadyInUseReplies, int MostSessionsOnOneKey, int LiveSessions);

    /// <summary>Reads a ledger file: every record line, and the last status line (null if there is none yet).</summary>
    public static (List<SimulatorLedgerEntry> Entries, Status? Last) Read(string path)
    {
        var entries = new List<SimulatorLedgerEntry>();
        Status? last = null;
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), Encoding.UTF8);
        int lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            string[] p = line.Split('\t');
            if (p.Length == 7 && p[0] == "R")
            {
                string[] fields = p[6].Split('^');
                entries.Add(new SimulatorLedgerEntry(Long(p[2]), Long(p[3]), (int)Long(p[4]), p[5], fields[0], fields, Time(p[1])));
            }
            else if (p.Length == 6 && p[0] == "S")
            {
                last = new Status(Time(p[1]), Long(p[2]), Long(p[3]), (int)Long(p[4]), (int)Long(p[5]));
            }
            else if (reader.Peek() >= 0)
            {
                // The last line may be cut by a process still writing; any other malformed line is a real problem.
                throw new FormatException($"{path} line {lineNo}: not a simulator ledger line ('{(line.Length > 60 ? line[..60] + "…" : line)}').");
            }
        }

        return (entries, last);

        static long Long(string s) => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);

        static DateTimeOffset Time(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
    }

    internal void Append(long session, long frame, DateTimeOffset sentAt, string trId, IReadOnlyList<string[]> records)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            string at = sentAt.ToString("O", CultureInfo.InvariantCulture);
            for (int i = 0; i < records.Count; i++)
            {
                _writer.Write("R\t");
                _writer.Write(at);
                _writer.Write('\t');
                _writer.Write(session.ToString(CultureInfo.InvariantCulture));
                _writer.Write('\t');
                _writer.Write(frame.ToString(CultureInfo.InvariantCulture));
                _writer.Write('\t');
                _writer.Write(i.ToString(CultureInfo.InvariantCulture));
                _writer.Write('\t');
                _writer.Write(trId);
                _writer.Write('\t');
                _writer.Write(string.Join('^', records[i]));
                _writer.Write('\n');
            }
        }
    }

    internal void WriteStatus(Status s)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"S\t{s.At:O}\t{s.RecordsSent}\t{s.AlreadyInUseReplies}\t{s.MostSessionsOnOneKey}\t{s.LiveSessions}\n"));
            _writer.Flush();
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writer.Dispose();
        }
    }
}
