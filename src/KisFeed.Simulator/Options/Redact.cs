namespace KisFeed.Simulator;

/// <summary>Redaction of keys and secrets for logs.</summary>
internal static class Redact
{
    /// <summary>First 4 characters and the length: never log a secret or approval key in full.</summary>
    public static string Key(string? value) =>
        value is null ? "(null)" : value.Length <= 4 ? $"****(len {value.Length})" : $"{value[..4]}…(len {value.Length})";
}
