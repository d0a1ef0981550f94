using System.Text.RegularExpressions;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KisFeed.IntegrationTests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of the README, the package READMEs and <c>docs/*.md</c> compiles against the libraries
/// as they are, so an API change that breaks an example breaks the test run. A block is compiled as top-level statements;
/// the free names examples use by convention (<c>ct</c>, <c>client</c>, <c>codes</c>, <c>day</c>, <c>recorder</c>) are
/// declared for it when it does not declare them itself.
/// </summary>
public sealed partial class DocsExamplesCompileTests
{
    private static readonly (string Name, string Declaration)[] FreeNames =
    [
        ("ct", "System.Threading.CancellationToken ct = System.Threading.CancellationToken.None;"),
        ("client", "KisFeed.KisRealtimeClient client = new(KisFeed.KisOptions.Default);"),
        ("codes", "string[] codes = [\"005930\", \"000660\"];"),
        ("day", "System.DateOnly day = new(2026, 11, 24);"),
        ("recorder", "KisFeed.Storage.ProgramTradeRecorder recorder = KisFeed.Storage.ProgramTradeRecorder.Open(\"example.duckdb\");"),
    ];

    private const string Usings = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using KisFeed;
        global using KisFeed.Simulator;
        global using KisFeed.Storage;
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int> Examples()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in DocFiles())
        {
            int n = Blocks(File.ReadAllText(Path.Combine(Root, file))).Count;
            for (int i = 0; i < n; i++)
            {
                data.Add(file, i);
            }
        }

        return data;
    }

    [Fact]
    public void TheQuickStartAndTheDocsHaveExamplesToCompile()
    {
        Assert.Contains("README.md", DocFiles());
        Assert.NotEmpty(Blocks(File.ReadAllText(Path.Combine(Root, "README.md"))));
        Assert.True(DocFiles().Sum(f => Blocks(File.ReadAllText(Path.Combine(Root, f))).Count) >= 8, "the C# examples of the docs were found");
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void A_docs_example_compiles(string file, int block)
    {
        string code = Blocks(File.ReadAllText(Path.Combine(Root, file)))[block];
        string prelude = string.Join('\n', FreeNames.Where(f => Uses(code, f.Name) && !Declares(code, f.Name)).Select(f => f.Declaration));
        CSharpParseOptions parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);
        CSharpCompilation compilation = CSharpCompilation.Create(
            $"DocsExample_{Path.GetFileNameWithoutExtension(file)}_{block}",
            [CSharpSyntaxTree.ParseText(Usings, parse, cancellationToken: Ct), CSharpSyntaxTree.ParseText(prelude + "\n" + code, parse, path: $"{file}#{block}", cancellationToken: Ct)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(output, cancellationToken: Ct);
        string[] errors = [.. result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString())];
        Assert.True(result.Success, $"{file}, C# block {block + 1}, does not compile:\n{string.Join('\n', errors)}\n---\n{code}");
    }

    [Fact]
    public void ABrokenExampleFailsTheCompile()
    {
        // The check itself: an example calling an API that does not exist is caught.
        CSharpCompilation compilation = CSharpCompilation.Create("Broken",
            [CSharpSyntaxTree.ParseText(Usings, cancellationToken: Ct), CSharpSyntaxTree.ParseText("await new KisRealtimeClient(KisOptions.Default).NoSuchMethodAsync();", cancellationToken: Ct)],
            References.Value, new CSharpCompilationOptions(OutputKind.ConsoleApplication));
        using var output = new MemoryStream();
        Assert.False(compilation.Emit(output, cancellationToken: Ct).Success);
    }

    private static IEnumerable<string> DocFiles() =>
        new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(f => Path.Combine("docs", Path.GetFileName(f))))
            .Concat(Directory.GetDirectories(Path.Combine(Root, "src")).Select(d => Path.Combine("src", Path.GetFileName(d), "README.md")).Where(f => File.Exists(Path.Combine(Root, f))))
            .Order(StringComparer.Ordinal);

    private static List<string> Blocks(string markdown) => [.. Fence().Matches(markdown).Select(m => m.Groups["code"].Value)];

    private static bool Uses(string code, string name) => Regex.IsMatch(code, $@"(?<![\w.""]){name}\b");

    private static bool Declares(string code, string name) => Regex.IsMatch(code, $@"(\bvar|[\w>\]?])\s+{name}\s*=");

    [GeneratedRegex(@"^```csharp\r?\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p))]);

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
