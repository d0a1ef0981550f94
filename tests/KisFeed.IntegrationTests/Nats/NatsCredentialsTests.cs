using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.Core;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>The one mapping from KisFeed's NATS credential settings to NATS.Net's options, and TLS on a real server.</summary>
public sealed class NatsCredentialsTests
{
    [Fact]
    public void OptionsWinOverTheEnvironmentAndMapOntoNatsNetsOptions()
    {
        using var dir = new TempDirectory();
        string seed = Path.Combine(dir.Path, "user.nk");
        File.WriteAllText(seed, "SUAMK2FG4MI6UE3ACF3FK3OIQBCEIEZV7NSWFFEW63UXMRLFM2XLAXK4GY\n");
        var env = new Dictionary<string, string> { ["NATS_USER"] = "env-user", ["NATS_PASSWORD"] = "env-secret", ["NATS_CA"] = seed };
        NatsCredentials fromEnv = NatsCredentials.FromEnvironment(n => env.GetValueOrDefault(n));
        NatsCredentials given = new NatsCredentials { User = "cli-user" }.Or(fromEnv);
        Assert.Equal(("cli-user", "env-secret", seed), (given.User, given.Password, given.TlsCaFile));

        NatsOpts opts = given.ApplyTo(NatsOpts.Default with { Url = "nats://h:4222" });
        Assert.Equal(("cli-user", "env-secret", seed), (opts.AuthOpts.Username, opts.AuthOpts.Password, opts.TlsOpts.CaFile));
        Assert.Equal(TlsMode.Require, new NatsCredentials { RequireTls = true }.ApplyTo(NatsOpts.Default).TlsOpts.Mode);
        Assert.Equal(seed, new NatsCredentials { NKeySeedFile = seed }.ApplyTo(NatsOpts.Default).AuthOpts.NKeyFile);
        Assert.Equal("t0ken", new NatsCredentials { Token = "t0ken" }.ApplyTo(NatsOpts.Default).AuthOpts.Token);
        Assert.Same(NatsOpts.Default, NatsCredentials.None.ApplyTo(NatsOpts.Default)); // nothing set: a URL's user:pass still works

        // Its text never holds a secret.
        string text = given.ToString() + new NatsCredentials { Token = "t0ken" };
        Assert.Contains("user cli-user with a password", text, StringComparison.Ordinal);
        Assert.DoesNotContain("env-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken", text, StringComparison.Ordinal);
        Assert.Equal("nats://gw:***@m1:4222,nats://m2:4222", NatsCredentials.Redact("nats://gw:pa55@m1:4222,nats://m2:4222"));
    }

    [Theory]
    [InlineData("user", "needs a password")]
    [InlineData("password", "without a user")]
    [InlineData("two", "not several")]
    [InlineData("cert", "needs its key")]
    [InlineData("missing", "does not exist")]
    public void ABadCombinationSaysWhatToFix(string what, string message)
    {
        NatsCredentials c = what switch
        {
            "user" => new() { User = "u" },
            "password" => new() { Password = "p" },
            "two" => new() { User = "u", Password = "p", Token = "t" },
            "cert" => new() { TlsCertFile = "/etc/hostname" },
            _ => new() { CredsFile = "/nonexistent/kisfeed.creds" },
        };
        ArgumentException ex = Assert.Throws<ArgumentException>(() => c.ApplyTo(NatsOpts.Default));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\"p\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubsConnectsToAServerThatVerifiesClientCertificates()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        string Pem(string name, string text)
        {
            string path = Path.Combine(dir.Path, name);
            File.WriteAllText(path, text);
            return path;
        }

        // A CA, a server certificate for 127.0.0.1 and a client certificate, all made here.
        using RSA caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=kisfeed-test-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(2));
        (string cert, string key) Issue(string name, bool server)
        {
            using RSA k = RSA.Create(2048);
            var request = new CertificateRequest($"CN={name}", k, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(System.Net.IPAddress.Loopback);
                request.CertificateExtensions.Add(san.Build());
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            using X509Certificate2 issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
            return (Pem(name + ".pem", issued.ExportCertificatePem()), Pem(name + ".key", k.ExportPkcs8PrivateKeyPem()));
        }

        string caFile = Pem("ca.pem", ca.ExportCertificatePem());
        (string serverCert, string serverKey) = Issue("server", server: true);
        (string clientCert, string clientKey) = Issue("client", server: false);
        string config = Pem("tls.conf", $"tls {{ cert_file: \"{serverCert}\", key_file: \"{serverKey}\", ca_file: \"{caFile}\", verify: true }}\n");
        await using NatsServer server = await NatsServer.StartWithConfigAsync(config, new Dictionary<string, string>(), ct);

        (int withExit, string withOut, string withErr) = await Cli.CliHarness.RunAsync("subs", "list", "--nats", server.Url, "--nats-tls", "--nats-tls-ca", caFile, "--nats-tls-cert", clientCert, "--nats-tls-key", clientKey);
        Assert.True(withExit == 0, withOut + withErr);
        Assert.Contains("0 registration(s)", withOut, StringComparison.Ordinal);

        // The same through the environment (NATS_CA, NATS_CERT, NATS_KEY), as the nats CLI reads them.
        (int envExit, _, string envErr) = await Cli.CliHarness.RunWithEnvAsync(
            new Dictionary<string, string> { ["NATS_CA"] = caFile, ["NATS_CERT"] = clientCert, ["NATS_KEY"] = clientKey }, "subs", "list", "--nats", server.Url);
        Assert.True(envExit == 0, envErr);

        // Without the client certificate the server refuses the connection.
        (int withoutExit, _, string withoutErr) = await Cli.CliHarness.RunAsync("subs", "list", "--nats", server.Url, "--nats-tls-ca", caFile);
        Assert.NotEqual(0, withoutExit);
        Assert.Contains("The TLS handshake with NATS failed", withoutErr, StringComparison.Ordinal);
    }
}
