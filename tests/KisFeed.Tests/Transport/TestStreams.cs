using System.IO.Pipelines;

namespace KisFeed.Tests.Transport;

/// <summary>
/// A fake socket: reads return scripted server bytes in exactly the chunks given, writes are captured.
/// When the script runs out, reads return 0 (EOF) or, with <see cref="BlockAtEnd"/>, wait until cancelled.
/// </summary>
internal sealed class ScriptedStream : Stream
{
    private readonly Queue<byte[]> _chunks;
    private readonly MemoryStream _written = new();

    public ScriptedStream(IEnumerable<byte[]> chunks) => _chunks = new Queue<byte[]>(chunks);

    /// <summary>Splits <paramref name="data"/> at the given offsets into read chunks.</summary>
    public static ScriptedStream SplitAt(byte[] data, params int[] offsets)
    {
        var chunks = new List<byte[]>();
        int start = 0;
        foreach (int offset in offsets.Append(data.Length))
        {
            chunks.Add(data[start..offset]);
            start = offset;
        }

        return new ScriptedStream(chunks.Where(c => c.Length > 0));
    }

    public static ScriptedStream OneBytePerRead(byte[] data) => new(data.Select(b => new[] { b }));

    public bool BlockAtEnd { get; init; }

    /// <summary>Counts writes but keeps no bytes (for allocation measurements).</summary>
    public bool DiscardWrites { get; init; }

    public bool Disposed { get; private set; }

    public int WriteCalls { get; private set; }

    public byte[] Written => _written.ToArray();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        if (_chunks.Count == 0)
        {
            if (BlockAtEnd)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return 0;
        }

        byte[] chunk = _chunks.Peek();
        int n = Math.Min(chunk.Length, buffer.Length);
        chunk.AsSpan(0, n).CopyTo(buffer.Span);
        _chunks.Dequeue();
        if (n < chunk.Length)
        {
            // The reader offered less room than the chunk: keep the rest for the next read.
            var rest = new Queue<byte[]>([chunk[n..], .. _chunks]);
            _chunks.Clear();
            foreach (byte[] c in rest)
            {
                _chunks.Enqueue(c);
            }
        }

        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        WriteCalls++;
        if (!DiscardWrites)
        {
            _written.Write(buffer.Span);
        }

        return ValueTask.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}

/// <summary>An in-memory socket pair made of two pipes: what one end writes, the other end reads.</summary>
internal sealed class DuplexStream : Stream
{
    private readonly PipeReader _reader;
    private readonly Stream _read;
    private readonly Stream _write;

    private DuplexStream(PipeReader reader, PipeWriter writer)
    {
        _reader = reader;
        _read = reader.AsStream();
        _write = writer.AsStream();
    }

    public static (DuplexStream Client, DuplexStream Server) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexStream(toClient.Reader, toServer.Writer), new DuplexStream(toServer.Reader, toClient.Writer));
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _read.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _read.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _write.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _write.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _write.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _write.FlushAsync(cancellationToken);

    public override void Flush() => _write.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Like closing a socket: a read in progress on this end fails, the other end sees EOF.
            _reader.CancelPendingRead();
            _write.Dispose();
        }

        base.Dispose(disposing);
    }
}
