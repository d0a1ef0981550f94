using System.CommandLine;

using KisFeed.Nats;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.Cli;

/// <summary><c>kisfeed subs add|remove|list</c>: the desired registrations in NATS KV, read by every gateway.</summary>
internal static partial class CliApp
{
    private static Command SubsCommand(CliConsole console)
    {
        var command = new Command("subs", "Change or show the registrations the gateways carry (NATS KV; takes effect within one renew interval).\nExample: kisfeed subs add 005930 000660 --venue all --nats nats://127.0.0.1:4222");
        command.Subcommands.Add(SubsChange(console, "add", "Add registrations (code × venue)."));
        command.Subcommands.Add(SubsChange(console, "remove", "Remove registrations (code × venue)."));
        Option<string> nats = NatsOption();
        var list = new Command("list", "List the desired registrations.") { nats };
        NatsAuthOptions listAuth = new NatsAuthOptions().AddTo(list);
        // subs never changes an existing bucket's settings (a cluster's 3 replicas stay); --replicas only for a new one.
        list.SetAction((parse, ct) => Guard(console, async token =>
        {
            await using var connection = new NatsConnection(listAuth.Opts(parse, console, parse.GetValue(nats)!, "kisfeed-subs"));
            DesiredRegistrations desired = await DesiredRegistrations.OpenOrCreateAsync(new NatsJSContext(connection), NatsFeedOptions.Default, token);
            IReadOnlyList<Registration> all = await desired.ListAsync(token);
            foreach (Registration r in all)
            {
                await console.Out.WriteLineAsync($"{FeedSubjects.VenueToken(r.Venue)} {r.Code}");
            }

            await console.Out.WriteLineAsync($"{all.Count} registration(s); {(all.Count + 40) / 41} app key(s) needed at 41 each.");
            return 0;
        }, null, ct));
        command.Subcommands.Add(list);
        return command;
    }

    private static Command SubsChange(CliConsole console, string name, string description)
    {
        Argument<string[]> codes = CodesArgument();
        Option<string> venue = VenueOption();
        Option<string> nats = NatsOption();
        Option<int> replicas = new("--replicas") { Description = "Replicas of the bucket if this creates it (3 on a three-node cluster); an existing bucket keeps its settings.", DefaultValueFactory = _ => 1 };
        var command = new Command(name, description) { codes, venue, nats, replicas };
        NatsAuthOptions natsAuth = new NatsAuthOptions().AddTo(command);
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            List<Registration> regs = [.. StockCodes.Check(parse.GetValue(codes)!).SelectMany(c => venues.Select(v => new Registration(v, c)))];
            await using var connection = new NatsConnection(natsAuth.Opts(parse, console, parse.GetValue(nats)!, "kisfeed-subs"));
            DesiredRegistrations desired = await DesiredRegistrations.OpenOrCreateAsync(new NatsJSContext(connection), NatsFeedOptions.Default with { Replicas = parse.GetValue(replicas) }, token);
            if (name == "add")
            {
                await desired.AddAsync(regs, token);
            }
            else
            {
                await desired.RemoveAsync(regs, token);
            }

            await console.Out.WriteLineAsync($"{(name == "add" ? "Added" : "Removed")} {regs.Count} registration(s): {string.Join(' ', regs)}");
            return 0;
        }, null, ct));
        return command;
    }
}
