namespace KisFeed.Storage;

/// <summary>File formats of <see cref="ProgramTradeExporter"/>.</summary>
public enum ExportFormat
{
    /// <summary>CSV with a header row (comma-separated, RFC 4180 quoting).</summary>
    Csv = 0,

    /// <summary>Apache Parquet (readable by DuckDB, pandas/pyarrow, Spark, Polars).</summary>
    Parquet = 1,

    /// <summary>Newline-delimited JSON, one object per record.</summary>
    Jsonl = 2,
}
