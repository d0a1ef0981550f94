using System.Diagnostics;
using System.Globalization;

using KisFeed.Fuzz;

// Usage: dotnet run -c Release --project tests/KisFeed.Fuzz -- [--inputs 1000000] [--seed 1] [--out findings-dir]
long inputs = 1_000_000;
int seed = 1;
string? outDir = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--inputs":
            inputs = long.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--seed":
            seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--out":
            outDir = args[i + 1];
            break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}");
            return 2;
    }
}

var fuzzer = new FrameFuzzer(seed);
var findings = new Dictionary<string, Finding>(StringComparer.Ordinal);
var clock = Stopwatch.StartNew();
long findingCount = 0;
while (fuzzer.Inputs < inputs)
{
    if (fuzzer.Step() is { } f)
    {
        findingCount++;
        if (findings.TryAdd(f.Signature, f))
        {
            Console.WriteLine($"[{fuzzer.Inputs:N0}] FINDING {f}");
            if (outDir is not null)
            {
                Directory.CreateDirectory(outDir);
                await File.WriteAllBytesAsync(Path.Combine(outDir, $"finding-{findings.Count:D3}.bin"), f.Input);
            }
        }
    }

    if (fuzzer.Inputs % 200_000 == 0)
    {
        Console.WriteLine($"{fuzzer.Inputs:N0} inputs, {fuzzer.Inputs / clock.Elapsed.TotalSeconds:N0}/s");
    }
}

Console.WriteLine($"done: {fuzzer.Inputs:N0} inputs (seed {seed}) in {clock.Elapsed.TotalSeconds:N1} s: {fuzzer.GeneratedValid:N0} generated valid frames, {fuzzer.CleanParses:N0} clean parses, {fuzzer.RejectedParses:N0} rejected; {findingCount:N0} failing inputs, {findings.Count} distinct finding(s)");
return findings.Count == 0 ? 0 : 1;
