namespace KisFeed.Simulator;

/// <summary>
/// One price of a <see cref="SimulatedDay"/>: what the simulator's <c>inquire-price</c> (<c>FHKST01010100</c>,
/// <c>stck_prpr</c>) would have answered for the stock from this second on.
/// </summary>
/// <param name="Code">The stock code.</param>
/// <param name="At">The second the price starts, Korea time (+09:00).</param>
/// <param name="Price">The price, KRW, on the KRX tick grid.</param>
/// <param name="PreviousClose">The previous trading day's close (the reference of <c>prdy_vrss</c>), KRW.</param>
public readonly record struct SimulatedPrice(string Code, DateTimeOffset At, long Price, long PreviousClose);
