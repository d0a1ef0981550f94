namespace KisFeed.Simulator;

/// <summary>
/// A pass-through stream under the server's <see cref="System.Net.WebSockets.WebSocket"/> that watches the client→server
/// RFC 6455 frame headers as they are read, to surface the client's PING/PONG control frames (ASP.NET handles those
/// internally and never reports them). Data frames are only skipped over, never copied.
/// </summary>
internal sealed class ControlFrameSniffer(Stream inner, Action<byte, byte[]> onControlFrame) : Stream
{
    private readonly byte[] _header = new byte[14];
    private readonly byte[] _mask = new byte[4];
    private int _headerNeeded = 2;
    private int _headerHave;
    private bool _inPayload;
    private long _payloadLeft;
    private byte _opcode;
    private byte[]? _control;
    private int _controlHave;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Observe(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        Observe(buffer.AsSpan(offset, n));
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private void Observe(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_inPayload)
            {
                int take = (int)Math.Min(_payloadLeft, data.Length);
                if (_control is not null)
                {
                    data[..take].CopyTo(_control.AsSpan(_controlHave));
                    _controlHave += take;
                }

                _payloadLeft -= take;
                data = data[take..];
                if (_payloadLeft == 0)
                {
                    EndFrame();
                }

                continue;
            }

            _header[_headerHave++] = data[0];
            data = data[1..];
            if (_headerHave == 2)
            {
                int len7 = _header[1] & 0x7F;
                bool masked = (_header[1] & 0x80) != 0;
                _headerNeeded = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
            }

            if (_headerHave < _headerNeeded)
            {
                continue;
            }

            StartPayload();
        }
    }

    private void StartPayload()
    {
        _opcode = (byte)(_header[0] & 0x0F);
        int len7 = _header[1] & 0x7F;
        int pos = 2;
        long length = len7;
        if (len7 == 126)
        {
            length = (_header[2] << 8) | _header[3];
            pos = 4;
        }
        else if (len7 == 127)
        {
            length = 0;
            for (int i = 0; i < 8; i++)
            {
                length = (length << 8) | _header[2 + i];
            }

            pos = 10;
        }

        bool masked = (_header[1] & 0x80) != 0;
        if (masked)
        {
            Array.Copy(_header, pos, _mask, 0, 4);
        }
        else
        {
            Array.Clear(_mask);
        }

        bool control = (_opcode & 0x8) != 0 && length <= 125;
        _control = control ? new byte[length] : null;
        _controlHave = 0;
        _payloadLeft = length;
        _headerHave = 0;
        _headerNeeded = 2;
        _inPayload = true;
        if (length == 0)
        {
            EndFrame();
        }
    }

    private void EndFrame()
    {
        _inPayload = false;
        if (_control is null)
        {
            return;
        }

        for (int i = 0; i < _control.Length; i++)
        {
            _control[i] ^= _mask[i & 3];
        }

        byte[] payload = _control;
        _control = null;
        onControlFrame(_opcode, payload);
    }
}
