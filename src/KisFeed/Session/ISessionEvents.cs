namespace KisFeed.Session;

/// <summary>What the session tells its owner. Called on session tasks; the owner raises public events off them.</summary>
internal interface ISessionEvents
{
    void StateChanged(ConnectionStateChangedEventArgs args);

    void SubscriptionFailed(SubscriptionFailedEventArgs args);

    /// <summary>True when someone listens for rejected frames (the raw frame is copied only then).</summary>
    bool WantsRejectedFrames { get; }

    void FrameRejected(FrameRejectedEventArgs args);

    void DataGap(DataGapEventArgs args);

    void GapHealed(GapHealingReport report);

    void RecordsDropped(RecordsDroppedEventArgs args);
}
