namespace KisFeed.Tests.Session;

public class OptionsAndSecretsTests
{
    private const string AppKey = "PSabcdefghijklmnopqrstuvwxyz01234567";
    private const string AppSecret = "secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789";
    private const string Approval = "062f61cb-c756-4b8f-9fab-92113c6fbea4";

    [Fact]
    public void ToStringNeverShowsSecrets()
    {
        KisOptions o = KisOptions.Default with { AppKey = AppKey, AppSecret = AppSecret, ApprovalKey = Approval };
        string text = o.ToString();
        Assert.DoesNotContain(AppKey, text);
        Assert.DoesNotContain(AppSecret, text);
        Assert.DoesNotContain(Approval, text);
        Assert.Contains("PSab…(36 chars)", text);
    }

    [Fact]
    public void ScrubRemovesSecretsFromServerText()
    {
        string scrubbed = Secrets.Scrub($"invalid approval : {Approval}", AppKey, Approval);
        Assert.DoesNotContain(Approval, scrubbed);
        Assert.Contains("062f…", scrubbed);
    }

    [Fact]
    public void FromEnvironmentReadsVariables()
    {
        var env = new Dictionary<string, string>
        {
            ["KIS_APPKEY"] = AppKey,
            ["KIS_APPSECRET"] = AppSecret,
            ["KIS_CUSTTYPE"] = "b",
            ["KIS_WS_URL"] = "ws://127.0.0.1:1234/tryitout",
        };
        KisOptions o = KisOptions.FromEnvironment(getVariable: n => env.GetValueOrDefault(n));
        Assert.Equal(AppKey, o.AppKey);
        Assert.Equal('B', o.CustomerType);
        Assert.Equal(new Uri("ws://127.0.0.1:1234/tryitout"), o.WebSocketUri);
        Assert.Equal(KisOptions.LiveRestUri, o.RestUri);
        Assert.True(o.HasCredentials);
        Assert.False(KisOptions.FromEnvironment(getVariable: _ => null).HasCredentials);
    }

    [Fact]
    public void ValidateNamesTheBadSetting()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => (KisOptions.Default with { CustomerType = 'X' }).Validate());
        Assert.Contains("CustomerType", e.Message);
        Assert.Throws<ArgumentException>(() => (KisOptions.Default with { WebSocketUri = new Uri("http://x") }).Validate());
    }
}
