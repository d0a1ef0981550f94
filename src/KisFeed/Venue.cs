namespace KisFeed;

/// <summary>The market whose program trading a subscription follows. The KIS TR id is derived from it.</summary>
public enum Venue
{
    /// <summary>Korea Exchange: TR <c>H0STPGM0</c> (국내주식 실시간프로그램매매 KRX).</summary>
    Krx = 0,

    /// <summary>Nextrade: TR <c>H0NXPGM0</c> (국내주식 실시간프로그램매매 NXT).</summary>
    Nxt = 1,

    /// <summary>The unified market (KRX + NXT): TR <c>H0UNPGM0</c> (국내주식 실시간프로그램매매 통합).</summary>
    Unified = 2,
}
