using KisFeed.Delivery;

namespace KisFeed.Session;

/// <summary>
/// Which consumers want which registrations, which KIS has confirmed on the current connection, and which KIS refused
/// when they were last re-sent. Every field is owned by <see cref="_gate"/>; the receive loop reads <see cref="Routes"/>,
/// an immutable snapshot replaced under the lock, without taking it. The registration cap is checked here and only here.
/// </summary>
internal sealed class RegistrationTable(int maxRegistrations)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Registration, List<Subscriber>> _wanted = []; // owned by _gate
    private readonly Dictionary<Subscriber, List<Registration>> _bySubscriber = []; // owned by _gate
    private readonly HashSet<Registration> _confirmed = []; // owned by _gate
    private readonly Dictionary<Registration, RegistrationStatus> _refused = []; // owned by _gate: wanted, refused when last sent
    private Dictionary<Registration, Subscriber[]> _routes = []; // written under _gate, read lock-free (Volatile)

    /// <summary>What <see cref="Add"/> did.</summary>
    /// <param name="Held">Registrations the consumer now holds (those it is the first to want included).</param>
    /// <param name="ToSend">Those it is the first to want: KIS must be asked for them.</param>
    /// <param name="OverLimit">Those that did not fit under the cap; not held.</param>
    public readonly record struct AddResult(IReadOnlyList<Registration> Held, IReadOnlyList<Registration> ToSend, IReadOnlyList<Registration> OverLimit);

    /// <summary>The session's cap (KIS: 41).</summary>
    public int Limit => maxRegistrations;

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
    /// Adds <paramref name="registrations"/> to a consumer, as many as fit: one already wanted by someone always fits;
    /// a new one only while the session is under its cap (in the order given). Never throws for the cap.
    /// </summary>
    public AddResult Add(Subscriber subscriber, IReadOnlyList<Registration> registrations)
    {
        lock (_gate)
        {
            List<Registration> held = [];
            List<Registration> toSend = [];
            List<Registration> over = [];
            if (!_bySubscriber.TryGetValue(subscriber, out List<Registration>? mine))
            {
                _bySubscriber[subscriber] = mine = [];
            }

            foreach (Registration r in registrations)
            {
                if (_wanted.TryGetValue(r, out List<Subscriber>? list))
                {
                    if (!list.Contains(subscriber))
                    {
                        list.Add(subscriber);
                        mine.Add(r);
                        subscriber.Join(r);
                    }

                    held.Add(r);
                }
                else if (_wanted.Count < maxRegistrations)
                {
                    _wanted[r] = [subscriber];
                    mine.Add(r);
                    subscriber.Join(r);
                    held.Add(r);
                    toSend.Add(r);
                }
                else
                {
                    over.Add(r);
                }
            }

            if (mine.Count == 0)
            {
                _bySubscriber.Remove(subscriber);
            }

            Publish();
            return new AddResult(held, toSend, over);
        }
    }

    /// <summary>Removes registrations from a consumer and returns those nobody wants any more.</summary>
    public IReadOnlyList<Registration> Remove(Subscriber subscriber, IEnumerable<Registration> registrations)
    {
        lock (_gate)
        {
            List<Registration> released = [];
            if (!_bySubscriber.TryGetValue(subscriber, out List<Registration>? mine))
            {
                return released;
            }

            foreach (Registration r in registrations)
            {
                if (!mine.Remove(r))
                {
                    continue;
                }

                subscriber.Leave(r);
                if (_wanted.TryGetValue(r, out List<Subscriber>? list) && list.Remove(subscriber) && list.Count == 0)
                {
                    _wanted.Remove(r);
                    _refused.Remove(r);
                    released.Add(r);
                }
            }

            if (mine.Count == 0)
            {
                _bySubscriber.Remove(subscriber);
            }

            Publish();
            return released;
        }
    }

    /// <summary>Removes a consumer from every registration it holds here and returns those nobody wants any more.</summary>
    public IReadOnlyList<Registration> RemoveAll(Subscriber subscriber)
    {
        lock (_gate)
        {
            return _bySubscriber.TryGetValue(subscriber, out List<Registration>? mine) ? Remove(subscriber, [.. mine]) : [];
        }
    }

    /// <summary>Removes every consumer and returns them (the client is closing).</summary>
    public IReadOnlyList<Subscriber> Clear()
    {
        lock (_gate)
        {
            List<Subscriber> all = [.. _bySubscriber.Keys];
            foreach ((Subscriber s, List<Registration> mine) in _bySubscriber)
            {
                foreach (Registration r in mine)
                {
                    s.Leave(r);
                }
            }

            _wanted.Clear();
            _bySubscriber.Clear();
            _confirmed.Clear();
            _refused.Clear();
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

    /// <summary>Every consumer with at least one registration here.</summary>
    public IReadOnlyList<Subscriber> Subscribers
    {
        get
        {
            lock (_gate)
            {
                return [.. _bySubscriber.Keys];
            }
        }
    }

    /// <summary>The registrations <paramref name="subscriber"/> holds on this session, in the order it joined them.</summary>
    public IReadOnlyList<Registration> RegistrationsOf(Subscriber subscriber)
    {
        lock (_gate)
        {
            return _bySubscriber.TryGetValue(subscriber, out List<Registration>? mine) ? [.. mine] : [];
        }
    }

    /// <summary>Consumers whose handle was collected without being disposed.</summary>
    public IReadOnlyList<Subscriber> Abandoned()
    {
        lock (_gate)
        {
            return [.. _bySubscriber.Keys.Where(s => s.IsAbandoned)];
        }
    }

    /// <summary>Where a wanted registration stands: active when confirmed, refused when KIS refused it when last sent, pending otherwise.</summary>
    public RegistrationStatus StatusOf(Registration registration)
    {
        lock (_gate)
        {
            if (_confirmed.Contains(registration))
            {
                return new RegistrationStatus(registration, RegistrationState.Active);
            }

            return _refused.TryGetValue(registration, out RegistrationStatus? refused) ? refused : new RegistrationStatus(registration, RegistrationState.Pending);
        }
    }

    /// <summary>KIS refused a wanted registration when it was sent: noted until it is confirmed or released.</summary>
    public void NoteRefused(RegistrationStatus status)
    {
        lock (_gate)
        {
            if (_wanted.ContainsKey(status.Registration))
            {
                _refused[status.Registration] = status;
            }
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
            _refused.Remove(registration);
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
