using System.Diagnostics.CodeAnalysis;

namespace KisFeed.Storage;

/// <summary>
/// Where the records of a recording came from: the live KIS servers, a simulator, or a source that does not say (a
/// NATS stream read by <c>record --from</c>), and the endpoint. Stored in the file's <c>meta</c> table under the key
/// <c>source</c> (text <c>simulated ws://…</c>, <c>live ws://…</c> or <c>unknown nats://…</c>), with
/// <c>source_since_seq</c>, the first <c>seq</c> it applies to.
/// </summary>
/// <param name="IsSimulated">True for data from a simulator (not the market), false for the live servers, null when the
/// source does not say which (never shown as live).</param>
/// <param name="Endpoint">Where the data came from, e.g. <c>ws://ops.koreainvestment.com:21000</c>.</param>
public sealed record RecordingSource(bool? IsSimulated, string Endpoint)
{
    /// <summary>The <c>meta</c> key of the source.</summary>
    public const string MetaKey = "source";

    /// <summary>The <c>meta</c> key of the first <c>seq</c> the source applies to (rows before it have no known source).</summary>
    public const string SinceSeqMetaKey = "source_since_seq";

    /// <summary><c>simulated</c> or <c>live</c>.</summary>
    public string Kind => IsSimulated switch
    {
        true => "simulated",
        false => "live",
        null => "unknown",
    };

    /// <summary>A simulated source at <paramref name="endpoint"/>.</summary>
    public static RecordingSource Simulated(string endpoint) => new(true, endpoint);

    /// <summary>A live source at <paramref name="endpoint"/>.</summary>
    public static RecordingSource Live(string endpoint) => new(false, endpoint);

    /// <summary>A source that does not say whether its data is simulated (e.g. a NATS stream at <paramref name="endpoint"/>).</summary>
    public static RecordingSource Unknown(string endpoint) => new(null, endpoint);

    /// <summary>The stored text: <c>simulated ENDPOINT</c> or <c>live ENDPOINT</c>.</summary>
    public override string ToString() => Endpoint.Length == 0 ? Kind : $"{Kind} {Endpoint}";

    /// <summary>Reads the stored text; false when it is neither <c>simulated …</c> nor <c>live …</c>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RecordingSource? source)
    {
        source = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string t = text.Trim();
        int space = t.IndexOf(' ', StringComparison.Ordinal);
        string kind = space < 0 ? t : t[..space];
        string endpoint = space < 0 ? string.Empty : t[(space + 1)..].Trim();
        source = kind switch
        {
            "simulated" => new RecordingSource(true, endpoint),
            "live" => new RecordingSource(false, endpoint),
            "unknown" => new RecordingSource(null, endpoint),
            _ => null,
        };
        return source is not null;
    }
}
