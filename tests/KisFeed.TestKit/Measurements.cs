using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KisFeed.TestKit;

/// <summary>Everything measured on the meters of one <see cref="TestMeterFactory"/>.</summary>
public sealed class Measurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> _all = new();
    private readonly ConcurrentDictionary<Instrument, bool> _instruments = new();

    public Measurements(TestMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                _instruments[instrument] = true;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _all.Enqueue((instrument.Name, (long)Math.Ceiling(value), tags.ToArray())));
        _listener.Start();
    }

    public IReadOnlyCollection<Instrument> Instruments => [.. _instruments.Keys];

    /// <summary>The sum of <paramref name="name"/>'s measurements that carry every tag of <paramref name="tags"/>.</summary>
    public long Sum(string name, params (string Key, string Value)[] tags) =>
        _all.Where(m => m.Name == name && tags.All(t => m.Tags.Any(x => x.Key == t.Key && Equals(x.Value, t.Value)))).Sum(m => m.Value);

    /// <summary>How many measurements <paramref name="name"/> recorded.</summary>
    public int Count(string name) => _all.Count(m => m.Name == name);

    public void Dispose() => _listener.Dispose();
}
