using System.Security.Cryptography;
using System.Text;

namespace KisFeed.Nats;

/// <summary>One KIS app key and its secret. <see cref="ToString"/> never shows either in full.</summary>
/// <param name="AppKey">The app key (앱키).</param>
/// <param name="AppSecret">The app secret (앱시크릿).</param>
public sealed record AppKeyCredential(string AppKey, string AppSecret)
{
    /// <summary>The name of this key in the lease bucket: <c>k</c> + 16 hex digits of SHA-256 of the app key (the key itself is not written to NATS).</summary>
    public string Id { get; } = IdOf(AppKey);

    /// <summary>The lease-bucket name of an app key.</summary>
    public static string IdOf(string appKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(appKey);
        return "k" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(appKey)))[..16];
    }

    /// <summary>The first four characters and the length, e.g. <c>PSab…(36 chars)</c>.</summary>
    public static string Redact(string? secret) => string.IsNullOrEmpty(secret) ? "(none)" : $"{secret[..Math.Min(4, secret.Length)]}…({secret.Length} chars)";

    /// <inheritdoc/>
    public override string ToString() => $"AppKeyCredential {{ Id = {Id}, AppKey = {Redact(AppKey)}, AppSecret = {Redact(AppSecret)} }}";
}
