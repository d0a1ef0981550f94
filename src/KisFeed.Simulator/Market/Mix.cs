using System.Numerics;
using System.Runtime.CompilerServices;

namespace KisFeed.Simulator;

/// <summary>
/// A counter-based random source: every draw is a hash of its coordinates (seed, stock, venue, day, second, what), so
/// any value of the market can be computed directly, in any order, by any process, with the same result. SplitMix64's
/// finaliser does the mixing (good avalanche, no state).
/// </summary>
internal static class Mix
{
    /// <summary>SplitMix64 finaliser.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong a, ulong b) => Hash(Hash(a) ^ BitOperations.RotateLeft(b, 17) ^ (b * 0xD6E8FEB86659FD93UL));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong a, ulong b, ulong c) => Hash(Hash(a, b), c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong a, ulong b, ulong c, ulong d) => Hash(Hash(a, b, c), d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong a, ulong b, ulong c, ulong d, ulong e) => Hash(Hash(a, b, c, d), e);

    /// <summary>A uniform draw in [0, 1) from the top 53 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Unit(ulong h) => (h >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal draw (Box–Muller on two hashes of <paramref name="h"/>).</summary>
    public static double Normal(ulong h)
    {
        double u1 = 1.0 - Unit(Hash(h, 1));
        double u2 = Unit(Hash(h, 2));
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>
    /// An approximately standard normal draw from one hash, without transcendental functions (Irwin–Hall: the sum of
    /// four 16-bit uniforms, centred and scaled; tails end at ±3.46). For the many activity draws of the model.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double FastNormal(ulong h)
    {
        const double Scale = 1.7320508075688772 / 65536.0; // √3 / 2^16
        double sum = (h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + (h >> 48);
        return (sum - (2 * 65535.5)) * Scale;
    }

    /// <summary>A Poisson draw of mean <paramref name="mean"/> from one uniform (inverse CDF; normal approximation above 60).</summary>
    public static int Poisson(double mean, ulong h)
    {
        if (mean <= 0)
        {
            return 0;
        }

        if (mean > 60)
        {
            return (int)Math.Max(0, Math.Round(mean + (Math.Sqrt(mean) * Normal(h))));
        }

        double u = Unit(h);
        double p = Math.Exp(-mean), cdf = p;
        int k = 0;
        while (u > cdf && k < 1000)
        {
            k++;
            p *= mean / k;
            cdf += p;
        }

        return k;
    }

    /// <summary>FNV-1a 64 of a code: the stock's coordinate in the hashes.</summary>
    public static ulong Key(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }
}
