using NATS.Client.Core;

namespace KisFeed.Nats;

/// <summary>
/// How a KisFeed process proves who it is to NATS, and its TLS settings: the ways NATS users expect (user and password,
/// token, NKey seed file, <c>.creds</c> file, TLS with a CA and a client certificate), mapped onto NATS.Net's
/// <see cref="NatsAuthOpts"/> and <see cref="NatsTlsOpts"/> in one place (<see cref="ApplyTo"/>). Immutable; its text
/// (<see cref="ToString"/>) names what is used and never a secret.
/// </summary>
/// <remarks>
/// The environment variables are those of the <c>nats</c> CLI: <c>NATS_USER</c>, <c>NATS_PASSWORD</c>, <c>NATS_TOKEN</c>,
/// <c>NATS_NKEY</c> (seed file), <c>NATS_CREDS</c>, <c>NATS_CA</c>, <c>NATS_CERT</c>, <c>NATS_KEY</c>. A user and
/// password may also come in the URL (<c>nats://user:pass@host:4222</c>), which NATS.Net reads itself.
/// </remarks>
public sealed record NatsCredentials
{
    /// <summary>No credentials, no TLS settings: anonymous, as before.</summary>
    public static NatsCredentials None { get; } = new();

    /// <summary>User name (with <see cref="Password"/>).</summary>
    public string? User { get; init; }

    /// <summary>Password of <see cref="User"/>.</summary>
    public string? Password { get; init; }

    /// <summary>An authentication token.</summary>
    public string? Token { get; init; }

    /// <summary>A file holding an NKey user seed (<c>SU…</c>), as <c>nk -gen user</c> writes it.</summary>
    public string? NKeySeedFile { get; init; }

    /// <summary>A <c>.creds</c> file (user JWT and NKey seed, as <c>nsc</c> writes it).</summary>
    public string? CredsFile { get; init; }

    /// <summary>PEM file of the CA that signed the server's certificate.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>PEM file of this client's certificate (servers that verify clients).</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>PEM file of the key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>Refuse to connect without TLS (otherwise TLS is used when the server asks for it or the URL is <c>tls://</c>).</summary>
    public bool RequireTls { get; init; }

    /// <summary>Whether anything is set.</summary>
    public bool IsEmpty => this == None;

    /// <summary>The credentials in the <c>nats</c> CLI's environment variables (empty ones ignored).</summary>
    public static NatsCredentials FromEnvironment(Func<string, string?>? getEnvironmentVariable = null)
    {
        Func<string, string?> env = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;
        string? Get(string name) => env(name) is { Length: > 0 } v ? v : null;
        return new NatsCredentials
        {
            User = Get("NATS_USER"),
            Password = Get("NATS_PASSWORD"),
            Token = Get("NATS_TOKEN"),
            NKeySeedFile = Get("NATS_NKEY"),
            CredsFile = Get("NATS_CREDS"),
            TlsCaFile = Get("NATS_CA"),
            TlsCertFile = Get("NATS_CERT"),
            TlsKeyFile = Get("NATS_KEY"),
        };
    }

    /// <summary>These settings, each one missing taken from <paramref name="fallback"/> (command-line options over the environment).</summary>
    public NatsCredentials Or(NatsCredentials fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        return new NatsCredentials
        {
            User = User ?? fallback.User,
            Password = Password ?? fallback.Password,
            Token = Token ?? fallback.Token,
            NKeySeedFile = NKeySeedFile ?? fallback.NKeySeedFile,
            CredsFile = CredsFile ?? fallback.CredsFile,
            TlsCaFile = TlsCaFile ?? fallback.TlsCaFile,
            TlsCertFile = TlsCertFile ?? fallback.TlsCertFile,
            TlsKeyFile = TlsKeyFile ?? fallback.TlsKeyFile,
            RequireTls = RequireTls || fallback.RequireTls,
        };
    }

    /// <summary>Checks the combination and that the files exist; throws <see cref="ArgumentException"/> saying what to fix.</summary>
    public void Validate()
    {
        int ways = (User is null ? 0 : 1) + (Token is null ? 0 : 1) + (NKeySeedFile is null ? 0 : 1) + (CredsFile is null ? 0 : 1);
        if (ways > 1)
        {
            throw new ArgumentException("NATS credentials: give one of a user and password, a token, an NKey seed file or a .creds file, not several (" + Ways() + ").");
        }

        if ((User is null) != (Password is null))
        {
            throw new ArgumentException(User is null
                ? "NATS credentials: a password was given without a user (--nats-user or NATS_USER)."
                : "NATS credentials: user '" + User + "' needs a password (--nats-password or, better, NATS_PASSWORD: command lines are visible to other users).");
        }

        if ((TlsCertFile is null) != (TlsKeyFile is null))
        {
            throw new ArgumentException("NATS TLS: a client certificate needs its key and a key its certificate (--nats-tls-cert with --nats-tls-key, or NATS_CERT with NATS_KEY).");
        }

        foreach ((string what, string? path) in (ReadOnlySpan<(string, string?)>)[("NKey seed file", NKeySeedFile), (".creds file", CredsFile), ("TLS CA file", TlsCaFile), ("TLS certificate file", TlsCertFile), ("TLS key file", TlsKeyFile)])
        {
            if (path is not null && !File.Exists(path))
            {
                throw new ArgumentException($"NATS {what} '{path}' does not exist.");
            }
        }
    }

    /// <summary>
    /// <paramref name="opts"/> with these credentials and TLS settings (validated first). Untouched when nothing is set,
    /// so a user and password in the URL keep working.
    /// </summary>
    public NatsOpts ApplyTo(NatsOpts opts)
    {
        ArgumentNullException.ThrowIfNull(opts);
        Validate();
        if (IsEmpty)
        {
            return opts;
        }

        NatsAuthOpts auth = opts.AuthOpts with
        {
            Username = User ?? opts.AuthOpts.Username,
            Password = Password ?? opts.AuthOpts.Password,
            Token = Token ?? opts.AuthOpts.Token,
            NKeyFile = NKeySeedFile ?? opts.AuthOpts.NKeyFile,
            CredsFile = CredsFile ?? opts.AuthOpts.CredsFile,
        };
        NatsTlsOpts tls = opts.TlsOpts with
        {
            CaFile = TlsCaFile ?? opts.TlsOpts.CaFile,
            CertFile = TlsCertFile ?? opts.TlsOpts.CertFile,
            KeyFile = TlsKeyFile ?? opts.TlsOpts.KeyFile,
            Mode = RequireTls ? TlsMode.Require : opts.TlsOpts.Mode,
        };
        return opts with { AuthOpts = auth, TlsOpts = tls };
    }

    /// <summary>What is used, e.g. <c>user gateway with a password; TLS CA ca.pem</c>; never a password, token or seed.</summary>
    public override string ToString()
    {
        List<string> parts = [];
        string ways = Ways();
        parts.Add(ways.Length == 0 ? "anonymous" : ways);
        if (TlsCaFile is not null || TlsCertFile is not null || RequireTls)
        {
            parts.Add("TLS" + (RequireTls ? " required" : string.Empty) + (TlsCaFile is null ? string.Empty : $", CA {TlsCaFile}") + (TlsCertFile is null ? string.Empty : $", client certificate {TlsCertFile}"));
        }

        return string.Join("; ", parts);
    }

    private string Ways() => string.Join(", ", new[]
    {
        User is null ? null : $"user {User} with a password",
        Token is null ? null : "a token",
        NKeySeedFile is null ? null : $"NKey seed file {NKeySeedFile}",
        CredsFile is null ? null : $".creds file {CredsFile}",
    }.Where(p => p is not null));

    /// <summary>A URL with any <c>user:password@</c> replaced by <c>user:***@</c>, for printing (comma-separated URLs too).</summary>
    public static string Redact(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return string.Join(',', url.Split(',').Select(one =>
        {
            int scheme = one.IndexOf("://", StringComparison.Ordinal);
            int at = one.IndexOf('@', StringComparison.Ordinal);
            if (scheme < 0 || at < scheme)
            {
                return one;
            }

            string userInfo = one[(scheme + 3)..at];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            string shown = colon < 0 ? "***" : userInfo[..colon] + ":***";
            return one[..(scheme + 3)] + shown + one[at..];
        }));
    }
}
