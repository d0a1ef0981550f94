using System.Threading.Channels;

namespace KisFeed;

/// <summary>
/// How one subscription is buffered (<see cref="IKisFeedSource.SubscribeAsync"/>). Null members take the source's
/// defaults (for a client, <see cref="KisOptions.ConsumerBufferCapacity"/> and <see cref="KisOptions.ConsumerFullMode"/>).
/// Immutable: start from <see cref="Default"/> and change with <c>with { ... }</c>. Sources may derive their own options.
/// </summary>
public record SubscribeOptions
{
    /// <summary>The source's defaults.</summary>
    public static SubscribeOptions Default { get; } = new();

    /// <summary>Items the subscription may have buffered before <see cref="FullMode"/> applies. Null: the source's default.</summary>
    public int? BufferCapacity { get; init; }

    /// <summary>
    /// What to drop when the buffer is full: <see cref="BoundedChannelFullMode.DropOldest"/>, <see cref="BoundedChannelFullMode.DropNewest"/>
    /// or <see cref="BoundedChannelFullMode.DropWrite"/> (<see cref="BoundedChannelFullMode.Wait"/> is refused: the socket
    /// reader never waits for a consumer). Null: the source's default.
    /// </summary>
    public BoundedChannelFullMode? FullMode { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public virtual void Validate()
    {
        if (BufferCapacity is < 1)
        {
            throw new ArgumentException("BufferCapacity must be at least 1.", nameof(BufferCapacity));
        }

        if (FullMode is { } mode && (mode == BoundedChannelFullMode.Wait || !Enum.IsDefined(mode)))
        {
            throw new ArgumentException("FullMode must be DropOldest, DropNewest or DropWrite: the socket reader never waits for a consumer (KIS drops sessions that stop answering PINGPONG).", nameof(FullMode));
        }
    }
}
