namespace KisFeed.Storage;

/// <summary>Which records to read back or export. Start from <see cref="Default"/> (everything) and use <c>with { ... }</c>.</summary>
public record ExportQuery
{
    /// <summary>Every record.</summary>
    public static ExportQuery Default { get; } = new();

    /// <summary>Only this trading date; null for all dates.</summary>
    public DateOnly? Date { get; init; }

    /// <summary>Only these codes; empty for all codes.</summary>
    public IReadOnlyList<string> Codes { get; init; } = [];

    /// <summary>Only these venues; empty for all venues.</summary>
    public IReadOnlyList<Venue> Venues { get; init; } = [];

    internal string WhereClause() => QueryFilter.Where(Date, Codes, Venues);
}
