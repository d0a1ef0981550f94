using System.Runtime.InteropServices;
using System.Text;

using KisFeed.Protocol;

namespace KisFeed.Tests.Protocol;

/// <summary>
/// The fast path reads 8-byte words with unchecked loads. Two properties keep that honest: it never reads outside the
/// payload (each payload is placed flush against an inaccessible page, after its end and before its start, so a stray
/// read kills the test run), and it gives exactly what the exact path gives, for any payload.
/// </summary>
public sealed partial class FastPathSafetyTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 0, 30, 0, TimeSpan.Zero);

    public static TheoryData<string, int> EdgePayloads => new()
    {
        { "005930^093000^1^2^3^4^5^6^7^8^9", 1 },
        { "005930^093000^1^2^3^4^5^6^7^8^", 1 },                 // last field empty (once read one byte past the end)
        { "005930^093000^1^2^3^4^5^6^7^8^9^", 1 },               // trailing '^'
        { "005930^093000^1^2^3^4^5^6^7^8^9^005930^093000^1^2^3^4^5^6^7^8^", 2 },
        { "1^093000^1^2^3^4^5^6^7^8^1234567890123456", 1 },      // 16 digits at the very end
        { "1^093000^123456789^2^3^4^5^6^7^8^-9", 1 },            // the earliest number that reads two words
        { "A^000000^+1^-2^3^4^5^6^7^8^9", 1 },
        { "ABCDEFGH^235959^1^2^3^4^5^6^7^8^9", 1 },              // 8-byte code
        { "^^^^^^^^^^", 1 },
        { "^", 1 },
        { "", 1 },
    };

    [Theory]
    [MemberData(nameof(EdgePayloads))]
    public void NoReadOutsideThePayload(string payload, int count) => AssertSafeAndSame(Encoding.ASCII.GetBytes(payload), count);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomPayloadsAreSafeAndAgreeWithTheExactPath(int seed)
    {
        var rng = new Random(seed);
        for (int round = 0; round < 20_000; round++)
        {
            (byte[] payload, int count) = RandomPayload(rng);
            AssertSafeAndSame(payload, count);
        }
    }

    /// <summary>Parses <paramref name="payload"/> from a normal array with the exact path only, then with the fast path
    /// from guarded memory (end against a PROT_NONE page, then start after one); all three must agree.</summary>
    private static void AssertSafeAndSame(byte[] payload, int count)
    {
        var expected = new List<ProgramTrade>();
        ParseResult exact = new ProgramTradeParser(null, fastPath: false).ParsePayload(Venue.Nxt, count, payload, At, expected);
        foreach (bool atEnd in new[] { true, false })
        {
            var actual = new List<ProgramTrade>();
            ParseResult fast;
            using (var guarded = new GuardedBytes(payload, atEnd))
            {
                fast = new ProgramTradeParser().ParsePayload(Venue.Nxt, count, guarded.Span, At, actual);
            }

            string text = Encoding.Latin1.GetString(payload);
            Assert.True(exact == fast, $"count {count}, [{text}]: exact {exact}, fast {fast}");
            Assert.True(expected.SequenceEqual(actual), $"count {count}, [{text}]: records differ");
        }
    }

    /// <summary>Payloads near the usual shape and far from it: 1–19 digits with and without signs, empty and (null)
    /// fields, codes of 0–9 bytes (NUL, '-', non-ASCII), odd times, widths 9–13, wrong counts, trailing '^'.</summary>
    private static (byte[] Payload, int Count) RandomPayload(Random rng)
    {
        int count = rng.Next(1, 5);
        int records = rng.Next(20) == 0 ? Math.Max(1, count + rng.Next(-1, 2)) : count;
        var sb = new StringBuilder();
        for (int r = 0; r < records; r++)
        {
            int width = rng.Next(12) == 0 ? rng.Next(9, 14) : 11;
            for (int f = 0; f < width; f++)
            {
                if (sb.Length > 0)
                {
                    sb.Append('^');
                }

                sb.Append(f switch { 0 => Code(rng), 1 => Time(rng), _ => Number(rng) });
            }
        }

        switch (rng.Next(8))
        {
            case 0: sb.Append('^'); break;
            case 1: sb.Append("^^"); break;
        }

        if (rng.Next(40) == 0)
        {
            count = rng.Next(1, 6); // a header count that may not match
        }

        return (Encoding.Latin1.GetBytes(sb.ToString()), count);
    }

    private static string Code(Random rng) => rng.Next(10) switch
    {
        0 => "",
        1 => "00593\0",
        2 => "0059-0",
        3 => "ÀB12",
        4 => "ABCDEFGHI",
        5 => "(null)",
        _ => new string(Enumerable.Range(0, rng.Next(1, 9)).Select(_ => (char)(rng.Next(3) == 0 ? 'A' + rng.Next(26) : '0' + rng.Next(10))).ToArray()),
    };

    private static string Time(Random rng) => rng.Next(10) switch
    {
        0 => "240000",
        1 => "125960",
        2 => "(null)",
        3 => "09300",
        4 => "0930001",
        5 => "",
        _ => $"{rng.Next(24):D2}{rng.Next(60):D2}{rng.Next(60):D2}",
    };

    private static string Number(Random rng)
    {
        switch (rng.Next(16))
        {
            case 0: return "";
            case 1: return "(null)";
            case 2: return "+-5";
            case 3: return "--1";
            case 4: return "-";
            case 5: return "1.5";
        }

        string sign = rng.Next(4) switch { 0 => "-", 1 => "+", _ => "" };
        return sign + new string(Enumerable.Range(0, rng.Next(1, 20)).Select(_ => (char)('0' + rng.Next(10))).ToArray());
    }

    /// <summary>A copy of some bytes in memory whose neighbouring page (after the end, or before the start) is inaccessible.</summary>
    private sealed unsafe partial class GuardedBytes : IDisposable
    {
        private const int ProtNone = 0, ProtReadWrite = 3, MapPrivateAnonymous = 0x22;
        private readonly nint _mapping;
        private readonly nuint _length;
        private readonly byte* _start;
        private readonly int _count;

        public GuardedBytes(byte[] bytes, bool guardAfter)
        {
            int page = Environment.SystemPageSize;
            int dataPages = (bytes.Length / page) + 1;
            _length = (nuint)((dataPages + 1) * page);
            _mapping = Mmap(0, _length, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            Assert.True(_mapping != -1, "mmap failed");
            nint guard = guardAfter ? _mapping + (dataPages * page) : _mapping;
            Assert.Equal(0, Mprotect(guard, (nuint)page, ProtNone));
            _start = guardAfter ? (byte*)guard - bytes.Length : (byte*)(guard + page);
            _count = bytes.Length;
            bytes.CopyTo(new Span<byte>(_start, _count));
        }

        public ReadOnlySpan<byte> Span => new(_start, _count);

        public void Dispose() => _ = Munmap(_mapping, _length);

        [LibraryImport("libc", EntryPoint = "mmap")]
        private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport("libc", EntryPoint = "mprotect")]
        private static partial int Mprotect(nint address, nuint length, int protection);

        [LibraryImport("libc", EntryPoint = "munmap")]
        private static partial int Munmap(nint address, nuint length);
    }
}
