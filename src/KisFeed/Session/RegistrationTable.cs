using KisFeed.Delivery;

namespace KisFeed.Session;

/// <summary>
/// Which consumers want which registrations, and which registrations KIS has confirmed on the current connection.
/// Every field is owned by <see cref="_gate"/>; the receive loop reads <see cref="Routes"/>, an immutable snapshot
/// replaced under the lock, without taking it.
/// </summary>
internal sealed class RegistrationTable(int maxRegistrations)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Registration, List<Subscriber>> _wanted = []; // owned by _gate
    private readonly HashSet<Registration> _confirmed = []; // owned by _gate
    private Dictionary<Registration, Subscriber[]> _routes = []; // written under _gate, read lock-free (Volatile)

    /// <summary>Registration → its consumers, for the receive loop. Never mutated after publication.</summary>
    public Dictionary<Registration, Subscriber[]> Routes => Volatile.Read(ref _routes);

    /// <summary>Registrations wanted now (each counts once however many consumers share it).</summary>
    public IReadOnlyList<Registration> Wanted
    {
        get
        {
            lock (_gate)
            {
                return [.. _wanted.Keys];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _wanted.Count;
            }
        }
    }

    /// <summary>
    /// Adds a consumer and returns the registrations it is the first to want (those KIS must be asked for).
    /// Throws <see cref="KisSubscriptionLimitException"/> before changing anything when the session would exceed its limit.
    /// </summary>
    public IReadOnlyList<Registration> Add(Subscriber subscriber)
    {
        lock (_gate)
        {
            List<Registration> added = [.. subscriber.Registrations.Where(r => !_wanted.ContainsKey(r))];
            if (_wanted.Count + added.Count > maxRegistrations)
            {
                throw new KisSubscriptionLimitException(_wanted.Count, added.Count, maxRegistrations);
            }

            foreach (Registration r in subscriber.Registrations)
            {
                if (!_wanted.TryGetValue(r, out List<Subscriber>? list))
                {
                    _wanted[r] = list = [];
                }

                list.Add(subscriber);
            }

            Publish();
            return added;
        }
    }

    /// <summary>Removes a consumer and returns the registrations nobody wants any more.</summary>
    public IReadOnlyList<Registration> Remove(Subscriber subscriber)
    {
        lock (_gate)
        {
            List<Registration> released = [];
            foreach (Registration r in subscriber.Registrations)
            {
                if (_wanted.TryGetValue(r, out List<Subscriber>? list) && list.Remove(subscriber) && list.Count == 0)
                {
                    _wanted.Remove(r);
                    released.Add(r);
                }
            }

            Publish();
            return released;
        }
    }

    /// <summary>Removes every consumer and returns them (the client is closing).</summary>
    public IReadOnlyList<Subscriber> Clear()
    {
        lock (_gate)
        {
            List<Subscriber> all = [.. _wanted.Values.SelectMany(l => l).Distinct()];
            _wanted.Clear();
            _confirmed.Clear();
            Publish();
            return all;
        }
    }

    public bool IsWanted(Registration registration)
    {
        lock (_gate)
        {
            return _wanted.ContainsKey(registration);
        }
    }

    public IReadOnlyList<Subscriber> Subscribers
    {
        get
        {
            lock (_gate)
            {
                return [.. _wanted.Values.SelectMany(l => l).Distinct()];
            }
        }
    }

    /// <summary>Consumers whose handle was collected without being disposed.</summary>
    public IReadOnlyList<Subscriber> Abandoned()
    {
        lock (_gate)
        {
            return [.. _wanted.Values.SelectMany(l => l).Distinct().Where(s => s.IsAbandoned)];
        }
    }

    public bool IsConfirmed(Registration registration)
    {
        lock (_gate)
        {
            return _confirmed.Contains(registration);
        }
    }

    public void Confirm(Registration registration)
    {
        lock (_gate)
        {
            _confirmed.Add(registration);
        }
    }

    /// <summary>Forgets a confirmation; true if it was confirmed.</summary>
    public bool Unconfirm(Registration registration)
    {
        lock (_gate)
        {
            return _confirmed.Remove(registration);
        }
    }

    /// <summary>A connection ended: KIS keeps no registrations across connections.</summary>
    public void ClearConfirmed()
    {
        lock (_gate)
        {
            _confirmed.Clear();
        }
    }

    private void Publish()
    {
        var routes = new Dictionary<Registration, Subscriber[]>(_wanted.Count);
        foreach ((Registration r, List<Subscriber> list) in _wanted)
        {
            routes[r] = [.. list];
        }

        Volatile.Write(ref _routes, routes);
    }
}
