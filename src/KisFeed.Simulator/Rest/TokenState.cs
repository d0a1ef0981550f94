namespace KisFeed.Simulator;

/// <summary>An app key's access token: the token, when it was issued and expires, the last request, and whether it was revoked.</summary>
internal sealed class TokenState
{
    public static readonly TokenState Expired = new();

    public string? Token { get; set; }

    public DateTimeOffset IssuedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? LastRequest { get; set; }

    public bool Revoked { get; set; }
}
