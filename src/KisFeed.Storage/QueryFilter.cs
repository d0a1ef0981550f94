using System.Globalization;
using System.Text;

namespace KisFeed.Storage;

/// <summary>Builds the SQL <c>WHERE</c> clause shared by replay, export and the catalog (literals quoted, no user SQL).</summary>
internal static class QueryFilter
{
    public static string Where(DateOnly? date, IReadOnlyList<string>? codes, IReadOnlyList<Venue>? venues)
    {
        StringBuilder sql = new();
        if (date is { } d)
        {
            Add(sql).Append(CultureInfo.InvariantCulture, $"trading_date = DATE '{d:yyyy-MM-dd}'");
        }

        if (codes is { Count: > 0 })
        {
            Add(sql).Append("code IN (");
            for (int i = 0; i < codes.Count; i++)
            {
                ArgumentException.ThrowIfNullOrWhiteSpace(codes[i], nameof(codes));
                sql.Append(i == 0 ? "" : ", ").Append(StorageFile.Literal(codes[i].Trim()));
            }

            sql.Append(')');
        }

        if (venues is { Count: > 0 })
        {
            Add(sql).Append("venue IN (");
            for (int i = 0; i < venues.Count; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append(StorageFile.Literal(venues[i].Name()));
            }

            sql.Append(')');
        }

        return sql.ToString();
    }

    private static StringBuilder Add(StringBuilder sql) => sql.Append(sql.Length == 0 ? " WHERE " : " AND ");
}
