using System.Text.Json.Serialization;

namespace KisFeed.Rest;

internal sealed class TokenRequestDto
{
    [JsonPropertyName("grant_type")]
    public string GrantType { get; init; } = "client_credentials";

    [JsonPropertyName("appkey")]
    public required string AppKey { get; init; }

    [JsonPropertyName("appsecret")]
    public required string AppSecret { get; init; }
}

internal sealed class RevokeRequestDto
{
    [JsonPropertyName("appkey")]
    public required string AppKey { get; init; }

    [JsonPropertyName("appsecret")]
    public required string AppSecret { get; init; }

    [JsonPropertyName("token")]
    public required string Token { get; init; }
}

/// <summary>Any KIS REST reply: the token fields, the API envelope and both error shapes.</summary>
internal sealed class KisReplyDto
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("token_type")]
    public string? TokenType { get; init; }

    [JsonPropertyName("expires_in")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? ExpiresIn { get; init; }

    [JsonPropertyName("access_token_token_expired")]
    public string? AccessTokenExpired { get; init; }

    [JsonPropertyName("error_code")]
    public string? ErrorCode { get; init; }

    [JsonPropertyName("error_description")]
    public string? ErrorDescription { get; init; }

    [JsonPropertyName("rt_cd")]
    public string? RtCd { get; init; }

    [JsonPropertyName("msg_cd")]
    public string? MsgCd { get; init; }

    [JsonPropertyName("msg1")]
    public string? Msg1 { get; init; }
}

/// <summary>A history reply: the status fields and its rows (intraday or daily).</summary>
internal sealed class HistoryReplyDto<TRow>
{
    [JsonPropertyName("rt_cd")]
    public string? RtCd { get; init; }

    [JsonPropertyName("msg_cd")]
    public string? MsgCd { get; init; }

    [JsonPropertyName("msg1")]
    public string? Msg1 { get; init; }

    [JsonPropertyName("output")]
    public List<TRow>? Output { get; init; }
}

/// <summary>Fields common to intraday and daily rows (KIS sends every number as a string).</summary>
internal abstract class ProgramRowDto
{
    [JsonPropertyName("prdy_vrss")]
    public string? Change { get; init; }

    [JsonPropertyName("prdy_vrss_sign")]
    public string? ChangeSign { get; init; }

    [JsonPropertyName("prdy_ctrt")]
    public string? ChangePercent { get; init; }

    [JsonPropertyName("acml_vol")]
    public string? AccumulatedVolume { get; init; }

    [JsonPropertyName("whol_smtn_seln_vol")]
    public string? SellVolume { get; init; }

    [JsonPropertyName("whol_smtn_shnu_vol")]
    public string? BuyVolume { get; init; }

    [JsonPropertyName("whol_smtn_ntby_qty")]
    public string? NetBuyVolume { get; init; }

    [JsonPropertyName("whol_smtn_seln_tr_pbmn")]
    public string? SellValue { get; init; }

    [JsonPropertyName("whol_smtn_shnu_tr_pbmn")]
    public string? BuyValue { get; init; }

    [JsonPropertyName("whol_smtn_ntby_tr_pbmn")]
    public string? NetBuyValue { get; init; }

    [JsonPropertyName("whol_ntby_vol_icdc")]
    public string? NetBuyVolumeChange { get; init; }
}

internal sealed class IntradayRowDto : ProgramRowDto
{
    [JsonPropertyName("bsop_hour")]
    public string? Hour { get; init; }

    [JsonPropertyName("stck_prpr")]
    public string? Price { get; init; }

    [JsonPropertyName("whol_ntby_tr_pbmn_icdc")]
    public string? NetBuyValueChange { get; init; }
}

internal sealed class DailyRowDto : ProgramRowDto
{
    [JsonPropertyName("stck_bsop_date")]
    public string? Date { get; init; }

    [JsonPropertyName("stck_clpr")]
    public string? ClosePrice { get; init; }

    /// <summary>The daily reply's name has a trailing 2 (the official sample's column list; notes §14).</summary>
    [JsonPropertyName("whol_ntby_tr_pbmn_icdc2")]
    public string? NetBuyValueChange { get; init; }
}

/// <summary>The token as kept in the cache file (never the app secret).</summary>
/// <summary>The reply of inquire-price (FHKST01010100): one <c>output</c> object (every number a string).</summary>
/// <summary>A market-totals reply (FHPPG04600101, FHPPG04600001, HHPPG046600C1): its rows are read field by field, by KIS name.</summary>
internal sealed class MarketReplyDto
{
    [JsonPropertyName("rt_cd")]
    public string? RtCd { get; init; }

    [JsonPropertyName("msg_cd")]
    public string? MsgCd { get; init; }

    [JsonPropertyName("msg1")]
    public string? Msg1 { get; init; }

    [JsonPropertyName("output")]
    public System.Text.Json.JsonElement? Output { get; init; }

    [JsonPropertyName("output1")]
    public System.Text.Json.JsonElement? Output1 { get; init; }
}

internal sealed class PriceReplyDto
{
    [JsonPropertyName("rt_cd")]
    public string? RtCd { get; init; }

    [JsonPropertyName("msg_cd")]
    public string? MsgCd { get; init; }

    [JsonPropertyName("msg1")]
    public string? Msg1 { get; init; }

    [JsonPropertyName("output")]
    public PriceDto? Output { get; init; }
}

/// <summary>The inquire-price fields KisFeed reads (the official list has about 80).</summary>
internal sealed class PriceDto
{
    [JsonPropertyName("stck_prpr")]
    public string? Price { get; init; }

    [JsonPropertyName("prdy_vrss")]
    public string? Change { get; init; }

    [JsonPropertyName("prdy_vrss_sign")]
    public string? ChangeSign { get; init; }

    [JsonPropertyName("prdy_ctrt")]
    public string? ChangePercent { get; init; }

    [JsonPropertyName("acml_vol")]
    public string? AccumulatedVolume { get; init; }

    [JsonPropertyName("acml_tr_pbmn")]
    public string? AccumulatedValue { get; init; }

    [JsonPropertyName("stck_oprc")]
    public string? Open { get; init; }

    [JsonPropertyName("stck_hgpr")]
    public string? High { get; init; }

    [JsonPropertyName("stck_lwpr")]
    public string? Low { get; init; }

    [JsonPropertyName("stck_sdpr")]
    public string? ReferencePrice { get; init; }
}

internal sealed class TokenFileDto
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("expires_at")]
    public DateTimeOffset ExpiresAt { get; init; }

    [JsonPropertyName("issued_at")]
    public DateTimeOffset IssuedAt { get; init; }

    [JsonPropertyName("rest")]
    public string? Rest { get; init; }

    [JsonPropertyName("app_key")]
    public string? AppKey { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TokenRequestDto))]
[JsonSerializable(typeof(RevokeRequestDto))]
[JsonSerializable(typeof(KisReplyDto))]
[JsonSerializable(typeof(HistoryReplyDto<IntradayRowDto>), TypeInfoPropertyName = "IntradayReplyDto")]
[JsonSerializable(typeof(HistoryReplyDto<DailyRowDto>), TypeInfoPropertyName = "DailyReplyDto")]
[JsonSerializable(typeof(PriceReplyDto))]
[JsonSerializable(typeof(TokenFileDto))]
[JsonSerializable(typeof(MarketReplyDto))]
internal sealed partial class RestJsonContext : JsonSerializerContext;
