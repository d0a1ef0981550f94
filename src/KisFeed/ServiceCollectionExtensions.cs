using System.Diagnostics.Metrics;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace KisFeed;

/// <summary>Registers KisFeed in a hosted app's service container.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="KisRealtimeClient"/>. Options start from <see cref="KisOptions.FromEnvironment"/>;
    /// <paramref name="configure"/> may change them. The container's <see cref="ILoggerFactory"/> and
    /// <see cref="TimeProvider"/> and <see cref="IMeterFactory"/> are used when registered.
    /// </summary>
    public static IServiceCollection AddKisFeed(this IServiceCollection services, Func<KisOptions, KisOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp =>
        {
            KisOptions options = KisOptions.FromEnvironment();
            if (sp.GetService<ILoggerFactory>() is { } loggers)
            {
                options = options with { LoggerFactory = loggers };
            }

            if (sp.GetService<TimeProvider>() is { } time)
            {
                options = options with { TimeProvider = time };
            }

            if (sp.GetService<IMeterFactory>() is { } meters)
            {
                options = options with { MeterFactory = meters };
            }

            return configure is null ? options : configure(options);
        });
        services.TryAddSingleton(sp => new KisRealtimeClient(sp.GetRequiredService<KisOptions>()));
        return services;
    }
}
