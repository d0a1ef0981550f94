using System.Net;
using System.Net.Sockets;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// An address where NATS is unreachable in the worst way: the TCP connect succeeds and nothing ever answers (a hung
/// server, a firewall that drops after the handshake). A client waits for its connect timeout on each of them.
/// </summary>
internal sealed class BlackHoleNats : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private int _accepted;

    public BlackHoleNats()
    {
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public string Url => $"nats://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections accepted (and never answered) so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket s = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_held)
                {
                    _held.Add(s);
                }

                Interlocked.Increment(ref _accepted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _accept.Wait(TimeSpan.FromSeconds(5));
        lock (_held)
        {
            foreach (Socket s in _held)
            {
                s.Dispose();
            }
        }

        _stop.Dispose();
    }
}
