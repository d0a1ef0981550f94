using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Nats;

/// <summary>
/// The keys of a KV bucket without creating a consumer. NATS.Net's <c>GetKeysAsync</c> creates an ephemeral R1
/// consumer per call, and nats-server 2.9 places it on any peer of the bucket's stream — the dead one included, which
/// never answers (the create times out). Stream info is answered by the stream's leader, so this keeps working while
/// the stream survives. Keys whose last message is a delete marker are listed too: writers here remove keys by purging
/// their subject (<see cref="PurgeKeyAsync"/>), which leaves no marker.
/// </summary>
internal static class KvKeys
{
    public static string StreamOf(string bucket) => "KV_" + bucket;

    public static async Task<List<string>> ListAsync(INatsJSContext js, string bucket, CancellationToken ct)
    {
        string prefix = "$KV." + bucket + ".";
        List<string> keys = [];
        int offset = 0;
        while (true)
        {
            INatsJSStream stream = await js.GetStreamAsync(StreamOf(bucket), new StreamInfoRequest { SubjectsFilter = prefix + ">", Offset = offset }, ct).ConfigureAwait(false);
            IDictionary<string, long>? subjects = stream.Info.State.Subjects;
            if (subjects is null || subjects.Count == 0)
            {
                return keys;
            }

            foreach (string subject in subjects.Keys)
            {
                if (subject.StartsWith(prefix, StringComparison.Ordinal))
                {
                    keys.Add(subject[prefix.Length..]);
                }
            }

            offset += subjects.Count;
            if (offset >= stream.Info.State.NumSubjects)
            {
                return keys;
            }
        }
    }

    /// <summary>Removes a key and every message of it (no delete marker stays behind, so <see cref="ListAsync"/> no longer lists it).</summary>
    public static async Task PurgeKeyAsync(INatsJSContext js, string bucket, string key, CancellationToken ct) =>
        await js.PurgeStreamAsync(StreamOf(bucket), new StreamPurgeRequest { Filter = "$KV." + bucket + "." + key }, ct).ConfigureAwait(false);
}
