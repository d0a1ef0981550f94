using System.Text;

using KisFeed.Protocol;

namespace KisFeed.Tests.Protocol;

public class ControlReplyTests
{
    private static ControlReply Parse(string json) => ControlReply.TryParse(Encoding.UTF8.GetBytes(json)) ?? throw new InvalidOperationException("not parsed");

    [Fact]
    public void OfficialSubscribeSuccess()
    {
        ControlReply r = Parse("""
            {"header":{"tr_id":"H0STPGM0","tr_key":"005930","encrypt":"N"},
             "body":{"rt_cd":"0","msg_cd":"OPSP0000","msg1":"SUBSCRIBE SUCCESS",
                     "output":{"iv":"0123456789abcdef","key":"abcdefghijklmnopabcdefghijklmnop"}}}
            """);
        Assert.True(r.IsSuccess);
        Assert.False(r.IsPingPong);
        Assert.Equal("H0STPGM0", r.TrId);
        Assert.Equal("005930", r.TrKey);
        Assert.Equal("N", r.Encrypt);
        Assert.Equal(ControlCodes.Subscribed, r.MsgCd);
        Assert.Equal("SUBSCRIBE SUCCESS", r.Msg1);
        Assert.Equal("0123456789abcdef", r.Iv);
        Assert.Equal("abcdefghijklmnopabcdefghijklmnop", r.Key);
    }

    [Theory]
    [InlineData("""{"header":{"tr_id":"(null)","tr_key":"","encrypt":"N"},"body":{"rt_cd":"9","msg_cd":"OPSP8996","msg1":"ALREADY IN USE appkey"}}""", "9", "OPSP8996")]
    [InlineData("""{"body":{"rt_cd":"9","msg_cd":"OPSP8996","msg1":"ALREADY IN USE appkey"}}""", "9", "OPSP8996")]
    [InlineData("""{"body":{"rt_cd":"1","msg_cd":"OPSP0011","msg1":"invalid approval : 062f61cb-c756-4b8f-9fab-92113c6fbea4"}}""", "1", "OPSP0011")]
    [InlineData("""{"body":{"rt_cd":"1","msg_cd":"OPSP0003","msg1":"UNSUBSCRIBE ERROR(not found!)"}}""", "1", "OPSP0003")]
    [InlineData("""{"header":{"tr_id":"(null)"},"body":{"rt_cd":"9","msg_cd":"OPSP0017","msg1":"ERROR : htsid가잘못되었습니다"}}""", "9", "OPSP0017")]
    [InlineData("""{"header":{"tr_id":"H0NXPGM0","tr_key":"005930","encrypt":"N"},"body":{"rt_cd":"1","msg_cd":"OPSP0008","msg1":"MAX SUBSCRIBE OVER"}}""", "1", "OPSP0008")]
    [InlineData("""{"header":{"tr_id":"H0NXPGM0","tr_key":"005930","encrypt":"N"},"body":{"rt_cd":"1","msg_cd":"OPSP0002","msg1":"ALREADY IN SUBSCRIBE"}}""", "1", "OPSP0002")]
    [InlineData("""{"header":{"tr_id":"H0NXPGM0","tr_key":"005930","encrypt":"N"},"body":{"rt_cd":"0","msg_cd":"OPSP0001","msg1":"UNSUBSCRIBE SUCCESS"}}""", "0", "OPSP0001")]
    public void CapturedRepliesReadWithoutRelyingOnHeader(string json, string rtCd, string msgCd)
    {
        ControlReply r = Parse(json);
        Assert.Equal(rtCd, r.RtCd);
        Assert.Equal(msgCd, r.MsgCd);
        Assert.Equal(rtCd == "0", r.IsSuccess);
        Assert.False(r.IsPingPong);
        if (r.TrId is null or "(null)")
        {
            Assert.False(r.HasTrId);
        }
    }

    [Fact]
    public void PingPongIsRecognised()
    {
        ControlReply r = Parse("""{"header":{"tr_id":"PINGPONG","datetime":"20261124093000"}}""");
        Assert.True(r.IsPingPong);
        Assert.Null(r.RtCd);
    }

    [Fact]
    public void NestedAndUnknownMembersDoNotConfuseThePath()
    {
        ControlReply r = Parse("""{"x":{"tr_id":"NOPE","body":{"rt_cd":"7"}},"header":{"tr_id":"H0NXPGM0","extra":[1,{"a":2}]},"body":{"list":[{"rt_cd":"8"}],"rt_cd":"0","output":{"iv":"i","key":"k"}}}""");
        Assert.Equal("H0NXPGM0", r.TrId);
        Assert.Equal("0", r.RtCd);
        Assert.Equal("i", r.Iv);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1,2]")]
    [InlineData("{\"header\":")]
    [InlineData("not json")]
    public void InvalidJsonIsNull(string text) => Assert.Null(ControlReply.TryParse(Encoding.UTF8.GetBytes(text)));
}
