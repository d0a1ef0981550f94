using System.Text.Json;

namespace KisFeed.TestKit;

/// <summary>Writes a <c>kisfeed</c> config file (<c>--config FILE</c>) pointing at a simulator.</summary>
public static class CliConfig
{
    public static string Write(string path, string appKey, string appSecret, Uri webSocketUri, Uri restUri)
    {
        System.IO.File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["appkey"] = appKey,
            ["appsecret"] = appSecret,
            ["ws_url"] = webSocketUri.ToString(),
            ["rest_url"] = restUri.ToString(),
        }));
        return path;
    }
}
