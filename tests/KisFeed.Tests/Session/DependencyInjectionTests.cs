using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KisFeed.Tests.Session;

public class DependencyInjectionTests
{
    [Fact]
    public async Task AddKisFeedRegistersOneClientWithTheContainersLoggingAndClock()
    {
        var clock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(clock);
        services.AddKisFeed(o => o with { AppKey = "PSabcdefgh", AppSecret = "secret-secret", MaxRegistrations = 12 });

        await using ServiceProvider provider = services.BuildServiceProvider();
        KisRealtimeClient client = provider.GetRequiredService<KisRealtimeClient>();
        Assert.Same(client, provider.GetRequiredService<KisRealtimeClient>());
        Assert.Equal(12, client.Options.MaxRegistrations);
        Assert.Same(clock, client.Options.TimeProvider);
        Assert.Same(provider.GetRequiredService<ILoggerFactory>(), client.Options.LoggerFactory);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }
}
