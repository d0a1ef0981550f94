namespace KisFeed.Session;

/// <summary>Keeps app keys, secrets and approval keys out of logs, messages and exceptions.</summary>
internal static class Secrets
{
    /// <summary>Shows at most the first 4 characters and the length: <c>PSab…(36 chars)</c>.</summary>
    public static string Redact(string? secret) => secret switch
    {
        null => "(none)",
        "" => "(empty)",
        { Length: <= 8 } => $"***({secret.Length} chars)",
        _ => $"{secret[..4]}…({secret.Length} chars)",
    };

    /// <summary>Replaces every occurrence of each secret in <paramref name="text"/> with its redacted form.</summary>
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
