namespace KisFeed;

/// <summary>
/// Keeps app keys, secrets, access tokens and approval keys out of logs, messages and exceptions: everything KisFeed
/// prints goes through these, and an application printing its own settings should too.
/// </summary>
public static class Secrets
{
    /// <summary>Shows at most the first 4 characters and the length: <c>PSab…(36 chars)</c>; a value of 8 characters or fewer shows none.</summary>
    public static string Redact(string? secret) => secret switch
    {
        null => "(none)",
        "" => "(empty)",
        { Length: <= 8 } => $"***({secret.Length} chars)",
        _ => $"{secret[..4]}…({secret.Length} chars)",
    };

    /// <summary>Replaces every occurrence of each secret (of 6 characters or more) in <paramref name="text"/> with its redacted form.</summary>
    public static string Scrub(string? text, params ReadOnlySpan<string?> secrets)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        foreach (string? secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret) && secret.Length >= 6)
            {
                text = text.Replace(secret, Redact(secret), StringComparison.Ordinal);
            }
        }

        return text;
    }
}
