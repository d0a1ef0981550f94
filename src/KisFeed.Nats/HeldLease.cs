namespace KisFeed.Nats;

/// <summary>A live lease as the bucket holds it.</summary>
/// <param name="KeyId">The app key's lease id.</param>
/// <param name="Holder">The holder's gateway id.</param>
/// <param name="RenewedAt">When the server stored its last create or renewal (server time): it expires T after that at the latest.</param>
internal sealed record HeldLease(string KeyId, string Holder, DateTimeOffset RenewedAt);
