using System.Text.Json;

namespace KisFeed.TestKit;

/// <summary>Writes a <c>kisfeed</c> config file (<c>--config FILE</c>) pointing at a simulator.</summary>
public static class CliConfig
{
    public static string Write(string path, string appKey, string appSecret, Uri webSocketUri, Uri restUri)
    {
        // Owner-only from the first byte, as kisfeed requires of a file holding a secret.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (FileStream file = new(path, options))
        {
            JsonSerializer.Serialize(file, new Dictionary<string, string>
            {
                ["appkey"] = appKey,
                ["appsecret"] = appSecret,
                ["ws_url"] = webSocketUri.ToString(),
                ["rest_url"] = restUri.ToString(),
            });
        }

        return path;
    }
}
