namespace KisFeed.Simulator;

/// <summary>A quotation call that passed the checks: its app key, tr_id, the fault it carries, and when it came.</summary>
internal sealed record ApiCall(string AppKey, string TrId, RestFault Fault, DateTimeOffset Now);
