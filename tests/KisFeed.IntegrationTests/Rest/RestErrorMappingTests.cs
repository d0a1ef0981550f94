using KisFeed.Rest;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>
/// Every KIS REST error body the client knows, mapped onto one <see cref="KisApiException"/> whose code, flags and
/// message say what the caller can do: retry later, fix the credentials, or neither.
/// </summary>
public sealed class RestErrorMappingTests
{
    private const string RateLimited = "rate-limited", Credentials = "credentials", Transient = "transient", Neither = "";

    public static TheoryData<int, string, string?, string> Bodies => new()
    {
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00201\",\"msg1\":\"초당 거래건수를 초과하였습니다.\"}", "EGW00201", RateLimited },
        { 403, "{\"error_description\":\"접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)\",\"error_code\":\"EGW00133\"}", "EGW00133", RateLimited },
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00123\",\"msg1\":\"기간이 만료된 token 입니다.\"}", "EGW00123", Neither },
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00121\",\"msg1\":\"유효하지 않은 token 입니다.\"}", "EGW00121", Neither },
        { 403, "{\"error_description\":\"유효하지 않은 요청입니다.\",\"error_code\":\"EGW00101\"}", "EGW00101", Credentials },
        { 403, "{\"error_description\":\"AppKey는 필수입니다.\",\"error_code\":\"EGW00102\"}", "EGW00102", Credentials },
        { 403, "{\"error_description\":\"유효하지 않은 AppKey입니다.\",\"error_code\":\"EGW00103\"}", "EGW00103", Credentials },
        { 403, "{\"error_description\":\"AppSecret은 필수입니다.\",\"error_code\":\"EGW00104\"}", "EGW00104", Credentials },
        { 403, "{\"error_description\":\"유효하지 않은 AppSecret입니다.\",\"error_code\":\"EGW00105\"}", "EGW00105", Credentials },
        { 500, "{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00205\",\"msg1\":\"유효하지 않은 tr_id 입니다.\"}", "EGW00205", Neither },
        { 200, "{\"rt_cd\":\"1\",\"msg_cd\":\"OPSQ2001\",\"msg1\":\"ERROR INPUT FIELD [FID_INPUT_ISCD]\"}", "OPSQ2001", Neither },
        { 502, "<html><body>502 Bad Gateway</body></html>", null, Transient },
        { 503, "", null, Transient },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Each_error_body_maps_to_its_code_flags_and_message(int status, string body, string? code, string kind)
    {
        KisApiException ex = RestErrors.Create("program-trade-by-stock 005930 krx", status, body, RestErrors.TryRead(body));
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(status, ex.HttpStatus);
        Assert.Equal("program-trade-by-stock 005930 krx", ex.Operation);
        Assert.Null(ex.Registration);
        Assert.Contains(code ?? $"HTTP {status}", ex.Message, StringComparison.Ordinal);
        if (code is not null)
        {
            Assert.NotNull(ex.ErrorMessage);
            Assert.Contains(ex.ErrorMessage!, ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(kind == RateLimited, ex.IsRateLimited);
        Assert.Equal(kind == Credentials, ex.IsCredentialError);
        Assert.Equal(kind is RateLimited or Transient, ex.IsTransient);
        Assert.Equal(code switch { "EGW00133" => TimeSpan.FromMinutes(1), "EGW00201" => TimeSpan.FromSeconds(1), _ => (TimeSpan?)null }, ex.RetryAfter);
        if (kind == Credentials)
        {
            Assert.Contains("KIS_APPSECRET", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Secrets_in_a_body_are_scrubbed_before_they_reach_a_message()
    {
        string secret = "SECRET-" + new string('s', 60);
        string body = Secrets.Scrub("{\"rt_cd\":\"1\",\"msg_cd\":\"EGW00999\",\"msg1\":\"bad appsecret " + secret + "\"}", secret);
        KisApiException ex = RestErrors.Create("tokenP", 500, body, RestErrors.TryRead(body));
        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Secrets.Redact(secret), ex.Message, StringComparison.Ordinal);
    }
}
