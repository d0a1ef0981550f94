using System.Text;

using KisFeed.Protocol;

namespace KisFeed.Tests.Protocol;

/// <summary>
/// The header split has an in-place path for the usual <c>0|XXXXXXXX|NNN|</c> and a full one for everything else; frames
/// that look almost usual must get exactly what the full split says.
/// </summary>
public class DataFrameTests
{
    [Theory]
    [InlineData("0|H0NXPGM0|001|a^b", FrameError.None, "H0NXPGM0", 1, "a^b", false)]
    [InlineData("1|H0STCNI0|010|QUJD", FrameError.None, "H0STCNI0", 10, "QUJD", true)]
    [InlineData("0|H0NXPGM0|999|x", FrameError.None, "H0NXPGM0", 999, "x", false)]
    [InlineData("0|H0NX|PGM|001|x", FrameError.BadCount, "", 0, "", false)]        // a bar inside the 8 TR id bytes
    [InlineData("0|H0NXPGM|0|001|x", FrameError.BadCount, "", 0, "", false)]      // 7-char TR id, so the count is "0"
    [InlineData("0|H0NXPGM0|000|x", FrameError.BadCount, "", 0, "", false)]
    [InlineData("0|H0NXPGM0|0a1|x", FrameError.BadCount, "", 0, "", false)]
    [InlineData("0|H0NXPGM0|1|x", FrameError.None, "H0NXPGM0", 1, "x", false)]
    [InlineData("0|H0NXPGM0|0001|x", FrameError.None, "H0NXPGM0", 1, "x", false)]
    [InlineData("0|H0UNPGM0|002|", FrameError.None, "H0UNPGM0", 2, "", false)]
    [InlineData("0|H0UNPGM0X|02|x", FrameError.None, "H0UNPGM0X", 2, "x", false)]
    [InlineData("2|H0NXPGM0|001|x", FrameError.BadHeader, "", 0, "", false)]
    public void HeadersSplitAsTheFullPathSays(string frame, FrameError error, string trId, int count, string payload, bool encrypted)
    {
        FrameError actual = DataFrame.TryRead(Encoding.ASCII.GetBytes(frame), out DataFrame data);
        Assert.Equal(error, actual);
        if (error == FrameError.None)
        {
            Assert.Equal(trId, Encoding.ASCII.GetString(data.TrId));
            Assert.Equal(count, data.Count);
            Assert.Equal(payload, Encoding.ASCII.GetString(data.Payload));
            Assert.Equal(encrypted, data.Encrypted);
        }
    }
}
