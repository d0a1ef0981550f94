using System.Globalization;
using System.Net;
using System.Text.Json;

using KisFeed.Simulator;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>Plain-HTTP helpers for the simulator's quotation calls, and the checked-in official field lists (Official/*.columns.txt).</summary>
internal static class SimRest
{
    /// <summary>GET a quotation path with the KIS headers; returns the status, the body and the response's tr_cont.</summary>
    public static async Task<(HttpStatusCode Status, JsonDocument Body, string? TrCont)> GetAsync(
        HttpClient http, string token, string path, string trId, IReadOnlyDictionary<string, string> query, string? trCont = null)
    {
        string url = "/uapi/domestic-stock/v1/quotations/" + path + "?" + string.Join('&', query.Select(kv => kv.Key + "=" + Uri.EscapeDataString(kv.Value)));
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        req.Headers.TryAddWithoutValidation("appkey", SimulatorCredential.Demo.AppKey);
        req.Headers.TryAddWithoutValidation("appsecret", SimulatorCredential.Demo.AppSecret);
        req.Headers.TryAddWithoutValidation("tr_id", trId);
        req.Headers.TryAddWithoutValidation("custtype", "P");
        if (trCont is not null)
        {
            req.Headers.TryAddWithoutValidation("tr_cont", trCont);
        }

        using HttpResponseMessage res = await http.SendAsync(req, TestContext.Current.CancellationToken);
        string? cont = res.Headers.TryGetValues("tr_cont", out IEnumerable<string>? v) ? v.FirstOrDefault() : null;
        return (res.StatusCode, JsonDocument.Parse(await res.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)), cont);
    }

    /// <summary>The names of a checked-in official field list (comment lines skipped), in order.</summary>
    public static IReadOnlyList<string> Official(string name) =>
        [.. File.ReadAllLines(Path.Combine(SimulatorRestTests.RepoRoot(), "tests", "KisFeed.IntegrationTests", "Simulator", "Official", name + ".columns.txt"))
            .Where(l => l.Length > 0 && l[0] != '#')];

    /// <summary>The property names of a JSON object, in order.</summary>
    public static IReadOnlyList<string> Names(JsonElement obj) => [.. obj.EnumerateObject().Select(p => p.Name)];

    public static long L(JsonElement row, string name) => long.Parse(row.GetProperty(name).GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public static double D(JsonElement row, string name) => double.Parse(row.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);
}
