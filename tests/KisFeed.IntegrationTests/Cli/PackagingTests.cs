using System.Diagnostics;
using System.Text.Json;

namespace KisFeed.IntegrationTests.Cli;

/// <summary>Issue 13, "Packaging": the packages' metadata as MSBuild evaluates it (no build, no pack).</summary>
public sealed class PackagingTests
{
    private static async Task<JsonElement> PropertiesAsync(string project, params string[] names)
    {
        string root = CliHarness.RepoRoot();
        var start = new ProcessStartInfo("dotnet", ["msbuild", Path.Combine(root, project), .. names.Select(n => "-getProperty:" + n), "-p:_IsPacking=true"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        using var process = Process.Start(start)!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        Task<string> stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        string stdout = await process.StandardOutput.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, stdout + await stderr);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("Properties").Clone();
    }

    [Theory]
    [InlineData("src/KisFeed/KisFeed.csproj")]
    [InlineData("src/KisFeed.Storage/KisFeed.Storage.csproj")]
    [InlineData("src/KisFeed.Simulator/KisFeed.Simulator.csproj")]
    [InlineData("src/KisFeed.Cli/KisFeed.Cli.csproj")]
    public async Task LibraryAndToolPackagesHaveProperMetadata(string project)
    {
        JsonElement p = await PropertiesAsync(project, "Authors", "PackageLicenseExpression", "PackageProjectUrl", "RepositoryUrl", "PackageTags", "PackageReadmeFile", "EnableSourceLink", "PublishRepositoryUrl", "Description", "AssemblyName");
        Assert.Equal("KisFeed contributors", p.GetProperty("Authors").GetString());
        Assert.NotEqual(p.GetProperty("AssemblyName").GetString(), p.GetProperty("Authors").GetString());
        Assert.Equal("MIT", p.GetProperty("PackageLicenseExpression").GetString());
        Assert.StartsWith("https://", p.GetProperty("PackageProjectUrl").GetString(), StringComparison.Ordinal);
        Assert.Contains("program-trading", p.GetProperty("PackageTags").GetString());
        Assert.Equal("README.md", p.GetProperty("PackageReadmeFile").GetString());
        Assert.True(File.Exists(Path.Combine(CliHarness.RepoRoot(), Path.GetDirectoryName(project)!, "README.md")), "the package readme exists");
        Assert.Equal("true", p.GetProperty("EnableSourceLink").GetString());
        Assert.Equal("true", p.GetProperty("PublishRepositoryUrl").GetString());
        Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("Description").GetString()));
    }

    [Fact]
    public async Task TheToolShipsDuckDbOnlyForThePlatformsItSupports()
    {
        JsonElement p = await PropertiesAsync("src/KisFeed.Cli/KisFeed.Cli.csproj", "KisFeedToolRuntimes", "PackAsTool", "ToolCommandName");
        Assert.Equal("true", p.GetProperty("PackAsTool").GetString());
        Assert.Equal("kisfeed", p.GetProperty("ToolCommandName").GetString());
        string runtimes = p.GetProperty("KisFeedToolRuntimes").GetString()!;
        Assert.DoesNotContain(";", runtimes); // one platform by default: the one the tool is packed on
        Assert.Contains(runtimes, new[] { "linux-x64", "linux-arm64", "osx", "win-x64", "win-arm64" });
    }
}
