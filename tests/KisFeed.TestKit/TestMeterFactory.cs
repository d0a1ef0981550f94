using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KisFeed.TestKit;

/// <summary>A meter factory of the test's own: its meters are told apart from every other meter in the process by their scope.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly ConcurrentDictionary<string, Meter> _meters = new(StringComparer.Ordinal);

    public Meter Create(MeterOptions options) => _meters.GetOrAdd(options.Name, _ => new Meter(new MeterOptions(options.Name) { Version = options.Version, Scope = this }));

    public void Dispose()
    {
        foreach (Meter m in _meters.Values)
        {
            m.Dispose();
        }
    }
}
