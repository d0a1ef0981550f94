namespace KisFeed.Simulator;

/// <summary>Control-reply faults (see <see cref="InjectControlReplyFault"/>).</summary>
public sealed partial class KisSimulator
{
    private readonly Lock _faultGate = new();
    private ControlReplyFault _replyFault;
    private int _replyFaultsLeft;
    private TimeSpan _replyDelay;
    private long _replyFaultsApplied;

    /// <summary>Control-reply faults applied so far.</summary>
    public long ControlReplyFaultsApplied => Interlocked.Read(ref _replyFaultsApplied);

    /// <summary>
    /// The next <paramref name="count"/> subscribe/unsubscribe replies (any session) are delayed by
    /// <paramref name="delay"/>, dropped, or sent twice. <see cref="ControlReplyFault.None"/> clears a pending fault.
    /// PINGPONG is not a reply and is never affected.
    /// </summary>
    public void InjectControlReplyFault(ControlReplyFault fault, int count = 1, TimeSpan? delay = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_faultGate)
        {
            _replyFault = fault;
            _replyFaultsLeft = fault == ControlReplyFault.None ? 0 : count;
            _replyDelay = delay ?? TimeSpan.FromSeconds(1);
        }
    }

    /// <summary>Takes one pending reply fault, if any.</summary>
    internal (ControlReplyFault Fault, TimeSpan Delay) TakeReplyFault()
    {
        lock (_faultGate)
        {
            if (_replyFaultsLeft <= 0)
            {
                return (ControlReplyFault.None, TimeSpan.Zero);
            }

            _replyFaultsLeft--;
            Interlocked.Increment(ref _replyFaultsApplied);
            return (_replyFault, _replyDelay);
        }
    }

    internal Task DelayAsync(TimeSpan delay) => Task.Delay(delay, Time, _shutdown.Token);
}
