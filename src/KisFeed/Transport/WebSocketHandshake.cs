using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace KisFeed.Transport;

/// <summary>The client side of the RFC 6455 section 4 opening handshake (HTTP/1.1 Upgrade).</summary>
internal static class WebSocketHandshake
{
    /// <summary>The GUID RFC 6455 appends to the key before hashing.</summary>
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Largest response header block accepted before giving up.</summary>
    private const int MaxResponseHeaderBytes = 64 * 1024;

    private const int BodyPreviewChars = 200;

    /// <summary>A fresh <c>Sec-WebSocket-Key</c>: 16 random bytes, base64.</summary>
    public static string CreateKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>The <c>Sec-WebSocket-Accept</c> value a server must answer for <paramref name="key"/>: base64(SHA-1(key + GUID)).</summary>
    public static string ComputeAcceptKey(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what RFC 6455 prescribes here; it is not used for security.
        SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid), hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    /// <summary>The HTTP/1.1 upgrade request for <paramref name="uri"/>.</summary>
    public static byte[] BuildRequest(Uri uri, string key, WebSocketConnectionOptions options)
    {
        var sb = new StringBuilder(256);
        string path = string.IsNullOrEmpty(uri.PathAndQuery) ? "/" : uri.PathAndQuery;
        sb.Append("GET ").Append(path).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(uri.Authority).Append("\r\n");
        sb.Append("Upgrade: websocket\r\n");
        sb.Append("Connection: Upgrade\r\n");
        sb.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        sb.Append("Sec-WebSocket-Version: 13\r\n");
        if (!string.IsNullOrEmpty(options.UserAgent))
        {
            AppendHeader(sb, "User-Agent", options.UserAgent);
        }

        foreach (KeyValuePair<string, string> header in options.RequestHeaders)
        {
            AppendHeader(sb, header.Key, header.Value);
        }

        sb.Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static void AppendHeader(StringBuilder sb, string name, string value)
    {
        if (string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAny(":\r\n ") >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException($"Invalid WebSocket request header '{name}': names must be non-empty tokens and values must not contain CR or LF.");
        }

        sb.Append(name).Append(": ").Append(value).Append("\r\n");
    }

    /// <summary>
    /// Sends the upgrade request and reads the response into a pooled buffer. On success returns that buffer with the
    /// range of bytes that followed the response headers (the first WebSocket frames, if the server sent them in the
    /// same segment); the caller owns the buffer. On failure the buffer is returned to the pool and the exception thrown.
    /// </summary>
    public static async Task<(byte[] Buffer, int LeftoverOffset, int LeftoverCount)> PerformAsync(
        Stream stream, Uri uri, WebSocketConnectionOptions options, CancellationToken cancellationToken)
    {
        string key = CreateKey();
        byte[] request = BuildRequest(uri, key, options);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(options.InitialReceiveBufferSize, 4096));
        bool handedOver = false;
        try
        {
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

            int filled = 0;
            int headerEnd;
            while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxResponseHeaderBytes)
                    {
                        throw new WebSocketHandshakeException($"WebSocket handshake with {uri} failed: the response headers exceed {MaxResponseHeaderBytes} bytes. Is this a WebSocket endpoint?");
                    }

                    byte[] bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    string got = filled == 0 ? "nothing" : $"only '{Preview(buffer.AsSpan(0, filled))}'";
                    throw new WebSocketHandshakeException($"WebSocket handshake with {uri} failed: the server closed the connection after sending {got}. Check the URL (scheme, host, port, path).");
                }

                filled += read;
            }

            int bodyStart = headerEnd + 4;
            string head = Encoding.Latin1.GetString(buffer, 0, headerEnd);
            string[] lines = head.Split("\r\n");
            string statusLine = lines[0];
            Dictionary<string, string> headers = ParseHeaders(lines);
            int? statusCode = ParseStatusCode(statusLine);

            if (statusCode != 101)
            {
                string body = await ReadBodyPreviewAsync(stream, buffer, bodyStart, filled, headers, cancellationToken).ConfigureAwait(false);
                throw new WebSocketHandshakeException(
                    $"WebSocket handshake with {uri} failed: the server answered '{statusLine}' instead of '101 Switching Protocols'. Body: '{body}'")
                {
                    StatusCode = statusCode,
                };
            }

            string expectedAccept = ComputeAcceptKey(key);
            if (!headers.TryGetValue("Sec-WebSocket-Accept", out string? accept) || !string.Equals(accept.Trim(), expectedAccept, StringComparison.Ordinal))
            {
                throw new WebSocketHandshakeException(
                    $"WebSocket handshake with {uri} failed: Sec-WebSocket-Accept was '{accept ?? "(missing)"}', expected '{expectedAccept}' for the key sent. A proxy may be rewriting the upgrade.")
                {
                    StatusCode = statusCode,
                };
            }

            if (!headers.TryGetValue("Upgrade", out string? upgrade) || !string.Equals(upgrade.Trim(), "websocket", StringComparison.OrdinalIgnoreCase))
            {
                throw new WebSocketHandshakeException($"WebSocket handshake with {uri} failed: the 101 answer has 'Upgrade: {upgrade ?? "(missing)"}' instead of 'websocket'.") { StatusCode = statusCode };
            }

            if (!headers.TryGetValue("Connection", out string? connection) || !ContainsToken(connection, "upgrade"))
            {
                throw new WebSocketHandshakeException($"WebSocket handshake with {uri} failed: the 101 answer has 'Connection: {connection ?? "(missing)"}' without 'Upgrade'.") { StatusCode = statusCode };
            }

            if (headers.TryGetValue("Sec-WebSocket-Extensions", out string? extensions) && !string.IsNullOrWhiteSpace(extensions))
            {
                throw new WebSocketHandshakeException($"WebSocket handshake with {uri} failed: the server enabled extensions '{extensions}' that were not requested.") { StatusCode = statusCode };
            }

            handedOver = true;
            return (buffer, bodyStart, filled - bodyStart);
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static int? ParseStatusCode(string statusLine)
    {
        // "HTTP/1.1 101 Switching Protocols"
        string[] parts = statusLine.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code)
            ? code
            : null;
    }

    private static Dictionary<string, string> ParseHeaders(string[] lines)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = lines[i][..colon].Trim();
            string value = lines[i][(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out string? existing) ? existing + ", " + value : value;
        }

        return headers;
    }

    private static bool ContainsToken(string list, string token)
    {
        foreach (string part in list.Split(','))
        {
            if (string.Equals(part.Trim(), token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Up to <see cref="BodyPreviewChars"/> characters of an error body, reading more only if Content-Length says it exists.</summary>
    private static async Task<string> ReadBodyPreviewAsync(
        Stream stream, byte[] buffer, int bodyStart, int filled, Dictionary<string, string> headers, CancellationToken cancellationToken)
    {
        int want = BodyPreviewChars * 4;
        if (headers.TryGetValue("Content-Length", out string? lengthText)
            && int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out int contentLength))
        {
            want = Math.Min(want, contentLength);
            want = Math.Min(want, buffer.Length - bodyStart);
            try
            {
                while (filled - bodyStart < want)
                {
                    int read = await stream.ReadAsync(buffer.AsMemory(filled, bodyStart + want - filled), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                }
            }
            catch (IOException)
            {
                // The preview is best effort; the status line already explains the failure.
            }
        }

        return Preview(buffer.AsSpan(bodyStart, Math.Min(filled - bodyStart, Math.Max(want, 0))));
    }

    private static string Preview(ReadOnlySpan<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes).ReplaceLineEndings(" ").Trim();
        return text.Length > BodyPreviewChars ? text[..BodyPreviewChars] + "..." : text;
    }
}
