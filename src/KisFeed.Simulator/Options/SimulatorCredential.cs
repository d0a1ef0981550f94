namespace KisFeed.Simulator;

/// <summary>An app key / app secret pair the simulator accepts on <c>POST /oauth2/Approval</c>.</summary>
/// <param name="AppKey">The app key (36 characters at KIS).</param>
/// <param name="AppSecret">The app secret (180 characters at KIS; sent as <c>secretkey</c>).</param>
public sealed record SimulatorCredential(string AppKey, string AppSecret)
{
    /// <summary>
    /// A DEMO credential, valid only against this simulator. Shaped like a real KIS pair
    /// (app key 36 characters, secret 180 characters, protocol notes §1.1) so length checks in clients are exercised.
    /// </summary>
    public static SimulatorCredential Demo { get; } = new(
        "PSDEMO-SIMULATOR-APPKEY-000000000001",
        ("DEMO-SIMULATOR-APPSECRET-NOT-A-REAL-KIS-SECRET-" + new string('0', 180))[..180]);

    /// <inheritdoc />
    public override string ToString() => $"SimulatorCredential {{ AppKey = {Redact.Key(AppKey)}, AppSecret = {Redact.Key(AppSecret)} }}";
}
