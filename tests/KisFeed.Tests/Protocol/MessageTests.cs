using System.Text;
using System.Text.Json;

using KisFeed.Protocol;

namespace KisFeed.Tests.Protocol;

public class MessageTests
{
    [Theory]
    [InlineData("0|H0NXPGM0|001|x", (int)KisMessageKind.Data)]
    [InlineData("1|H0STCNI0|001|x", (int)KisMessageKind.Data)]
    [InlineData("{\"header\":{}}", (int)KisMessageKind.Json)]
    [InlineData("  \r\n{}", (int)KisMessageKind.Json)]
    [InlineData("", (int)KisMessageKind.Empty)]
    [InlineData("PINGPONG", (int)KisMessageKind.Unknown)]
    public void ClassifiesByFirstByte(string message, int expected)
        => Assert.Equal((KisMessageKind)expected, KisMessage.Classify(Encoding.UTF8.GetBytes(message)));

    [Fact]
    public void SubscribeMessageHasTheDocumentedShape()
    {
        byte[] bytes = SubscribeRequest.Build("35aaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", 'P', SubscribeRequest.Subscribe, "H0NXPGM0", "005930");
        Assert.Equal(
            """{"header":{"approval_key":"35aaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","custtype":"P","tr_type":"1","content-type":"utf-8"},"body":{"input":{"tr_id":"H0NXPGM0","tr_key":"005930"}}}""",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void UnsubscribeUsesTrType2AndCorporateCustType()
    {
        using JsonDocument doc = JsonDocument.Parse(SubscribeRequest.Build("k", 'B', SubscribeRequest.Unsubscribe, "H0UNPGM0", "000660"));
        JsonElement header = doc.RootElement.GetProperty("header");
        Assert.Equal("2", header.GetProperty("tr_type").GetString());
        Assert.Equal("B", header.GetProperty("custtype").GetString());
        Assert.Equal("000660", doc.RootElement.GetProperty("body").GetProperty("input").GetProperty("tr_key").GetString());
    }

    [Fact]
    public void AesDecryptsWithReplyKeyAndIv()
    {
        // Vector made independently with OpenSSL (key/iv = the official example reply's strings):
        // printf '005930^092237' | openssl enc -aes-256-cbc -K $(printf abcdefghijklmnopabcdefghijklmnop | xxd -p -c 64) -iv $(printf 0123456789abcdef | xxd -p) -base64
        using var aes = new KisAes("abcdefghijklmnopabcdefghijklmnop", "0123456789abcdef");
        byte[]? plain = aes.TryDecrypt("fl64N1Ro2dFv/Wscr3+YJA=="u8);
        Assert.Equal("005930^092237", Encoding.UTF8.GetString(plain!));
        Assert.Null(aes.TryDecrypt("not base64!"u8));
        Assert.Null(aes.TryDecrypt(Encoding.ASCII.GetBytes(Convert.ToBase64String(new byte[16]))));
    }
}
