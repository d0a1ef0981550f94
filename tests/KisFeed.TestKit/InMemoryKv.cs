using System.Text;

namespace KisFeed.TestKit;

/// <summary>
/// One KV bucket with NATS JetStream KV's semantics for what the gateway uses, on a chosen clock (the server's):
/// every write gets the bucket's next revision; <see cref="Create"/> succeeds only when the key has no live value;
/// <see cref="Update"/> only on the key's last revision; <see cref="Delete"/> (optionally on a revision) leaves a delete
/// marker; a value older than the bucket's max age is gone, as if never written (history 1).
/// </summary>
/// <remarks>Checked against a real nats-server by <c>BackplaneContractTests</c>.</remarks>
public sealed class InMemoryKv(TimeProvider time, TimeSpan? maxAge)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _last = new(StringComparer.Ordinal);
    private ulong _revision;

    /// <summary>One stored write: a value, or a delete marker (<see cref="Value"/> null).</summary>
    public sealed record Entry(string Key, byte[]? Value, ulong Revision, DateTimeOffset Created)
    {
        public string Text => Value is null ? string.Empty : Encoding.UTF8.GetString(Value);
    }

    /// <summary>The bucket's max age (null: none).</summary>
    public TimeSpan? MaxAge => maxAge;

    private readonly List<Entry> _history = [];

    /// <summary>Every write so far (creates, updates, puts, deletes), oldest first: the history a watcher sees.</summary>
    public IReadOnlyList<Entry> History
    {
        get
        {
            lock (_gate)
            {
                return [.. _history];
            }
        }
    }

    /// <summary>Creates the key: its revision, or null when it has a live value.</summary>
    public ulong? Create(string key, byte[] value)
    {
        lock (_gate)
        {
            return Current(key) is { Value: not null } ? null : Write(key, value);
        }
    }

    /// <summary>Writes on <paramref name="expectedRevision"/>: the new revision, or null when the key's last revision differs (or it expired).</summary>
    public ulong? Update(string key, byte[] value, ulong expectedRevision)
    {
        lock (_gate)
        {
            return Current(key) is { } e && e.Revision == expectedRevision ? Write(key, value) : null;
        }
    }

    /// <summary>Writes whatever is there.</summary>
    public ulong Put(string key, byte[] value)
    {
        lock (_gate)
        {
            return Write(key, value);
        }
    }

    /// <summary>Leaves a delete marker; with <paramref name="expectedRevision"/>, only on that last revision. False when refused.</summary>
    public bool Delete(string key, ulong? expectedRevision = null)
    {
        lock (_gate)
        {
            if (expectedRevision is { } expected && (Current(key) is not { } e || e.Revision != expected))
            {
                return false;
            }

            Write(key, null);
            return true;
        }
    }

    /// <summary>The live value of a key (null: none, deleted or expired).</summary>
    public Entry? Get(string key)
    {
        lock (_gate)
        {
            return Current(key) is { Value: not null } e ? e : null;
        }
    }

    /// <summary>Every key with a live value, in key order.</summary>
    public IReadOnlyList<Entry> Live()
    {
        lock (_gate)
        {
            return [.. _last.Keys.Select(Current).OfType<Entry>().Where(e => e.Value is not null).OrderBy(e => e.Key, StringComparer.Ordinal)];
        }
    }

    // The key's last write unless max age removed it (a removed message is gone: no revision to match any more).
    private Entry? Current(string key) =>
        _last.TryGetValue(key, out Entry? e) && (maxAge is not { } age || time.GetUtcNow() < e.Created + age) ? e : null;

    private ulong Write(string key, byte[]? value)
    {
        var e = new Entry(key, value, ++_revision, time.GetUtcNow());
        _last[key] = e;
        _history.Add(e);
        return e.Revision;
    }
}
