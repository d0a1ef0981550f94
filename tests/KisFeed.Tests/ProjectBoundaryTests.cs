using System.Xml.Linq;

namespace KisFeed.Tests;

/// <summary>
/// The boundaries of <c>architecture.md</c>'s project table, read from the project files themselves: which sibling a
/// project may reference, and that no library opens its internals to an application. A new reference that breaks
/// them fails the test run; a new project under <c>src/</c> fails it until its rule is written here.
/// </summary>
public class ProjectBoundaryTests
{
    /// <summary>Each project under src/ and the siblings it may reference (by project name).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["KisFeed"] = [], // the core references no sibling
        ["KisFeed.Simulator"] = [], // written from the protocol notes: never the client's code
        ["KisFeed.Storage"] = ["KisFeed"],
        ["KisFeed.Nats"] = ["KisFeed"],
        ["KisFeed.Web"] = ["KisFeed", "KisFeed.Storage"], // its chart queries are the recorder's
        ["KisFeed.Cli"] = ["KisFeed", "KisFeed.Simulator", "KisFeed.Storage", "KisFeed.Nats", "KisFeed.Web"], // the application: wires them together
    };

    /// <summary>Test and tool projects with a rule of their own.</summary>
    private static readonly Dictionary<string, string[]> AllowedOutsideSrc = new(StringComparer.Ordinal)
    {
        ["tests/KisFeed.TestKit"] = ["KisFeed", "KisFeed.Nats"], // the in-memory gateway backplane implements a KisFeed.Nats interface
        ["tests/KisFeed.Fuzz"] = ["KisFeed"],
        ["tests/KisFeed.Tests"] = ["KisFeed", "KisFeed.Nats", "KisFeed.TestKit", "KisFeed.Fuzz"], // unit tests (the gateway's on virtual time): no application is built for them
    };

    /// <summary>Projects that may see a library's internals: tests and benchmarks, never an application or another library.</summary>
    private static readonly HashSet<string> MaySeeInternals = new(StringComparer.Ordinal)
    {
        "KisFeed.Tests", "KisFeed.TestKit", "KisFeed.IntegrationTests", "KisFeed.Fuzz", "KisFeed.Benchmarks",
    };

    public static TheoryData<string> SourceProjects() => [.. Allowed.Keys];

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void A_library_references_only_the_siblings_its_rule_allows(string project)
    {
        IReadOnlyList<string> references = References(Path.Combine(Root, "src", project, project + ".csproj"));
        string[] forbidden = [.. references.Where(r => !Allowed[project].Contains(r))];
        Assert.True(forbidden.Length == 0, $"{project} references {string.Join(", ", forbidden)}; architecture.md allows {(Allowed[project].Length == 0 ? "none" : string.Join(", ", Allowed[project]))}.");
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void No_library_opens_its_internals_to_an_application(string project)
    {
        XDocument doc = XDocument.Load(Path.Combine(Root, "src", project, project + ".csproj"));
        string[] targets = [.. doc.Descendants("InternalsVisibleTo").Select(e => (string?)e.Attribute("Include") ?? string.Empty)];
        string[] wrong = [.. targets.Where(t => !MaySeeInternals.Contains(t))];
        Assert.True(wrong.Length == 0, $"{project} opens its internals to {string.Join(", ", wrong)}: make what they need public API, or move it into them.");
    }

    [Fact]
    public void Every_project_under_src_has_a_rule()
    {
        string[] projects = [.. Directory.GetFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).OfType<string>().Order()];
        Assert.Equal(Allowed.Keys.Order(), projects);
    }

    [Fact]
    public void The_unit_tests_and_their_kit_reference_only_what_they_use()
    {
        foreach ((string dir, string[] allowed) in AllowedOutsideSrc)
        {
            string name = Path.GetFileName(dir);
            IReadOnlyList<string> references = References(Path.Combine(Root, dir, name + ".csproj"));
            Assert.True(references.All(allowed.Contains), $"{name} references {string.Join(", ", references.Except(allowed))}; allowed: {string.Join(", ", allowed)}.");
        }
    }

    [Fact]
    public void The_rule_catches_a_forbidden_reference()
    {
        // The check itself, on a project file that breaks it: the simulator referencing the client.
        string file = Path.Combine(Path.GetTempPath(), $"boundary-{Guid.NewGuid():N}.csproj");
        File.WriteAllText(file, """<Project><ItemGroup><ProjectReference Include="..\KisFeed\KisFeed.csproj" /></ItemGroup></Project>""");
        try
        {
            Assert.Equal(["KisFeed"], References(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static IReadOnlyList<string> References(string csproj)
    {
        Assert.True(File.Exists(csproj), $"{csproj} is missing");
        return [.. XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => (string?)e.Attribute("Include") ?? string.Empty)
            .Select(p => Path.GetFileNameWithoutExtension(p.Replace('\\', '/')))];
    }

    private static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "KisFeed.slnx")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException($"KisFeed.slnx not found above {AppContext.BaseDirectory}");
    }
}
