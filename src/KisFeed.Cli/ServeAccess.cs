using System.Globalization;
using System.Net;
using System.Security.Cryptography;

using KisFeed.Web;

namespace KisFeed.Cli;

/// <summary>
/// Who may open <c>kisfeed serve</c>'s board: the bind address is checked (an IP address of this machine), and a board
/// bound to anything but loopback needs an access token (<c>--token</c>, or one generated and printed with the address).
/// </summary>
internal static class ServeAccess
{
    /// <summary>Checks <paramref name="host"/> and <paramref name="port"/> and settles the token; a bad value is a usage error (exit 2).</summary>
    public static WebBoardOptions Options(string host, int port, string? token, CliConsole console)
    {
        if (port is < 0 or > 65535)
        {
            throw CliException.Usage($"--port {port.ToString(CultureInfo.InvariantCulture)}: use a TCP port from 1 to 65535, or 0 for any free port.");
        }

        IPAddress address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out IPAddress? parsed) ? parsed
            : throw CliException.Usage($"--host '{host}' is not an IP address: use 127.0.0.1 (the default, this machine only), 0.0.0.0 (every interface) or one of this machine's addresses.");
        bool wildcard = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
        if (!IPAddress.IsLoopback(address) && !wildcard && !KisFeedWebServer.MachineAddresses().Contains(address))
        {
            string mine = string.Join(", ", KisFeedWebServer.MachineAddresses().Where(a => !IPAddress.IsLoopback(a)).Select(a => a.ToString()));
            throw CliException.Usage($"--host {host} is not an address of this machine{(mine.Length == 0 ? string.Empty : $" (its addresses: {mine})")}: use one of them, 127.0.0.1 or 0.0.0.0.");
        }

        if (token is not null && (token.Length < 16 || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw CliException.Usage("--token: at least 16 characters, letters, digits, '-' or '_' (it goes in the page's address).");
        }

        if (!IPAddress.IsLoopback(address))
        {
            token ??= Base64Url(RandomNumberGenerator.GetBytes(18));
            console.Error.WriteLine(wildcard
                ? $"warning: --host {host} serves the board on every interface of this machine; anyone who can reach port {port} can try it, so it needs the access token in the address printed below. Share that address only with people who may see the board."
                : $"warning: --host {host} serves the board beyond this machine; it needs the access token in the address printed below. Share that address only with people who may see the board.");
        }

        return WebBoardOptions.Default with { Host = host, Port = port, AccessToken = token };
    }

    /// <summary>The page's address with its token, as printed and opened.</summary>
    public static Uri PageUrl(Uri url, string? token) => token is null ? url : new UriBuilder(url) { Query = "token=" + token }.Uri;

    /// <summary>
    /// Prints the address first (scripts and people pick it up from the first line), then, for a board open beyond this
    /// machine, the addresses other machines use.
    /// </summary>
    public static async Task PrintAsync(CliConsole console, ServeHost serving, WebBoardOptions web)
    {
        await console.Out.WriteLineAsync($"KisFeed board: {PageUrl(serving.Url, web.AccessToken)}");
        foreach (Uri other in serving.InterfaceUrls.Where(u => u != serving.Url))
        {
            await console.Out.WriteLineAsync($"  from other machines: {PageUrl(other, web.AccessToken)}");
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
