namespace KisFeed.Cli;

/// <summary>How the board orders its rows.</summary>
internal enum BoardSort
{
    /// <summary>Program net buy value, largest first.</summary>
    NetValue,

    /// <summary>Stock code.</summary>
    Code,
}
