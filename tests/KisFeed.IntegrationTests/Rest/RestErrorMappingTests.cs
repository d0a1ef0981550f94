using KisFeed.Rest;
using KisFeed.Session;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>Every KIS REST error body the client knows, mapped onto its typed exception.</summary>
public sealed class RestErrorMappingTests
{
    public static TheoryData<int, string, Type, string?> Bodies => new()
    {
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00201\",\"msg1\":\"초당 거래건수를 초과하였습니다.\"}", typeof(KisRateLimitException), "EGW00201" },
        { 403, "{\"error_description\":\"접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)\",\"error_code\":\"EGW00133\"}", typeof(KisTokenRateLimitException), "EGW00133" },
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00123\",\"msg1\":\"기간이 만료된 token 입니다.\"}", typeof(KisTokenRejectedException), "EGW00123" },
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00121\",\"msg1\":\"유효하지 않은 token 입니다.\"}", typeof(KisTokenRejectedException), "EGW00121" },
        { 403, "{\"error_description\":\"유효하지 않은 요청입니다.\",\"error_code\":\"EGW00101\"}", typeof(KisCredentialException), "EGW00101" },
        { 403, "{\"error_description\":\"AppKey는 필수입니다.\",\"error_code\":\"EGW00102\"}", typeof(KisCredentialException), "EGW00102" },
        { 403, "{\"error_description\":\"유효하지 않은 AppKey입니다.\",\"error_code\":\"EGW00103\"}", typeof(KisCredentialException), "EGW00103" },
        { 403, "{\"error_description\":\"AppSecret은 필수입니다.\",\"error_code\":\"EGW00104\"}", typeof(KisCredentialException), "EGW00104" },
        { 403, "{\"error_description\":\"유효하지 않은 AppSecret입니다.\",\"error_code\":\"EGW00105\"}", typeof(KisCredentialException), "EGW00105" },
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00205\",\"msg1\":\"유효하지 않은 tr_id 입니다.\"}", typeof(KisRestException), "EGW00205" },
        { 200, "{\"rt_cd\":\"1\",\"msg_cd\":\"OPSQ2001\",\"msg1\":\"ERROR INPUT FIELD [FID_INPUT_ISCD]\"}", typeof(KisRestException), "OPSQ2001" },
        { 502, "<html><body>502 Bad Gateway</body></html>", typeof(KisRestException), null },
        { 503, "", typeof(KisRestException), null },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Each_error_body_maps_to_its_type_with_code_and_message(int status, string body, Type expected, string? code)
    {
        KisRestException ex = RestErrors.Create("program-trade-by-stock 005930 krx", status, body, RestErrors.TryRead(body));
        Assert.IsType(expected, ex);
        Assert.IsAssignableFrom<KisException>(ex);
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(status, ex.HttpStatus);
        Assert.Equal("program-trade-by-stock 005930 krx", ex.Operation);
        Assert.Contains(code ?? $"HTTP {status}", ex.Message, StringComparison.Ordinal);
        if (code is not null)
        {
            Assert.NotNull(ex.ErrorMessage);
            Assert.Contains(ex.ErrorMessage!, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Secrets_in_a_body_are_scrubbed_before_they_reach_a_message()
    {
        string secret = "SECRET-" + new string('s', 60);
        string body = Secrets.Scrub("{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00999\",\"msg1\":\"bad appsecret " + secret + "\"}", secret);
        KisRestException ex = RestErrors.Create("tokenP", 500, body, RestErrors.TryRead(body));
        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Secrets.Redact(secret), ex.Message, StringComparison.Ordinal);
    }
}
