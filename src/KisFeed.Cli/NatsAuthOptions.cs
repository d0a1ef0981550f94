using System.CommandLine;

using KisFeed.Nats;

using Microsoft.Extensions.Logging;

using NATS.Client.Core;

namespace KisFeed.Cli;

/// <summary>
/// The NATS credential and TLS options every NATS command takes (<c>gateway</c>, <c>subs</c>, <c>watch|record|serve
/// --from nats://</c>), each also read from the <c>nats</c> CLI's environment variable; the option wins. The mapping to
/// NATS.Net is <see cref="NatsCredentials"/>; secrets are never printed.
/// </summary>
internal sealed class NatsAuthOptions
{
    private readonly Option<string?> _user = new("--nats-user") { Description = "NATS user (or NATS_USER), with --nats-password." };
    private readonly Option<string?> _password = new("--nats-password") { Description = "Password of --nats-user (or NATS_PASSWORD, better: command lines are visible to other users)." };
    private readonly Option<string?> _token = new("--nats-token") { Description = "NATS authentication token (or NATS_TOKEN)." };
    private readonly Option<string?> _nkey = new("--nats-nkey") { Description = "File holding an NKey user seed, SU… (or NATS_NKEY)." };
    private readonly Option<string?> _creds = new("--nats-creds") { Description = ".creds file: user JWT and NKey seed, as nsc writes it (or NATS_CREDS)." };
    private readonly Option<string?> _ca = new("--nats-tls-ca") { Description = "PEM file of the CA of the NATS servers' certificates (or NATS_CA)." };
    private readonly Option<string?> _cert = new("--nats-tls-cert") { Description = "PEM client certificate for servers that verify clients (or NATS_CERT), with --nats-tls-key." };
    private readonly Option<string?> _key = new("--nats-tls-key") { Description = "PEM key of --nats-tls-cert (or NATS_KEY)." };
    private readonly Option<bool> _tls = new("--nats-tls") { Description = "Refuse to connect to NATS without TLS (a tls:// URL or a server that requires TLS uses it anyway)." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public NatsAuthOptions AddTo(Command command)
    {
        foreach (Option option in (ReadOnlySpan<Option>)[_user, _password, _token, _nkey, _creds, _ca, _cert, _key, _tls])
        {
            command.Options.Add(option);
        }

        return this;
    }

    /// <summary>The credentials given: options first, then the environment.</summary>
    public NatsCredentials Read(ParseResult parse, CliConsole console) => new NatsCredentials
    {
        User = parse.GetValue(_user),
        Password = parse.GetValue(_password),
        Token = parse.GetValue(_token),
        NKeySeedFile = parse.GetValue(_nkey),
        CredsFile = parse.GetValue(_creds),
        TlsCaFile = parse.GetValue(_ca),
        TlsCertFile = parse.GetValue(_cert),
        TlsKeyFile = parse.GetValue(_key),
        RequireTls = parse.GetValue(_tls),
    }.Or(NatsCredentials.FromEnvironment(console.Env));

    /// <summary>The connection options of one command: URL, client name, logging, credentials and TLS.</summary>
    public NatsOpts Opts(ParseResult parse, CliConsole console, string url, string name, ILoggerFactory? loggerFactory = null) =>
        Opts(Read(parse, console), url, name, loggerFactory);

    /// <summary>The connection options for <paramref name="credentials"/>; a bad combination or a missing file is a usage error.</summary>
    public static NatsOpts Opts(NatsCredentials credentials, string url, string name, ILoggerFactory? loggerFactory = null)
    {
        CheckUrls(url);
        NatsOpts opts = NatsOpts.Default with { Url = url, Name = name };
        if (loggerFactory is not null)
        {
            opts = opts with { LoggerFactory = loggerFactory };
        }

        try
        {
            return credentials.ApplyTo(opts);
        }
        catch (ArgumentException ex)
        {
            throw CliException.Usage(ex.Message);
        }
    }

    /// <summary>
    /// A NATS URL (or a comma-separated list for a cluster) must name a NATS server: <c>nats://</c>, <c>tls://</c>,
    /// <c>ws://</c>, <c>wss://</c> or a bare <c>host:port</c>. Anything else (<c>http://</c>, a file path) is a usage
    /// error here, not a connection that retries for ever against the wrong thing.
    /// </summary>
    public static void CheckUrls(string url)
    {
        string[] parts = url.Split(',', StringSplitOptions.TrimEntries);
        foreach (string part in parts)
        {
            int scheme = part.IndexOf("://", StringComparison.Ordinal);
            string rest = scheme < 0 ? part : part[(scheme + 3)..];
            bool known = scheme < 0 || part[..scheme].ToLowerInvariant() is "nats" or "tls" or "ws" or "wss";
            if (part.Length == 0 || !known || rest.Length == 0 || rest.StartsWith('/') || rest.StartsWith(':'))
            {
                throw CliException.Usage(
                    $"'{NatsCredentials.Redact(part)}' is not a NATS server URL: use nats://host:port (tls://, ws:// and wss:// work too; a cluster is a comma-separated list).");
            }
        }
    }
}
