using System.Net;
using System.Text;
using Patronus.Engine.Bfd.Transport;
using Patronus.Engine.Bfd.Wire;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdService
{
    /// <summary>
    /// Follows the topology: sessions of new paths start, removed ones say AdminDown and close,
    /// changed timers, authentication or role reconfigure the running session (a Poll when Up,
    /// §6.8.3), and a changed address, port or interface reopens it.
    /// </summary>
    private void ApplyTopology(TopologySnapshot topology, long now)
    {
        var wanted = new Dictionary<string, (BfdPathSettings Settings, WanLink Link)>(StringComparer.Ordinal);
        foreach (var path in topology.Paths)
        {
            if (path.Bfd is { } bfd && topology.LinksById.TryGetValue(path.LinkId, out var link))
            {
                wanted[path.Id] = (bfd, link);
            }
        }

        foreach (var session in _byPath.Values.ToList())
        {
            if (!wanted.TryGetValue(session.PathId, out var w) || !session.SameEndpoints(w.Settings, w.Link))
            {
                CloseSession(session, now, sayGoodbye: true);
            }
        }

        foreach (var (pathId, (settings, link)) in wanted)
        {
            if (_byPath.TryGetValue(pathId, out var session))
            {
                if (session.Settings != settings)
                {
                    Reconfigure(session, settings, now);
                }
            }
            else
            {
                session = new Session(pathId, settings, link);
                _byPath[pathId] = session;
                Open(session, now);
            }
        }

        foreach (var pathId in _adminOverrides.Keys.Where(id => !wanted.ContainsKey(id)).ToList())
        {
            _adminOverrides.Remove(pathId);
        }

        Volatile.Write(ref _views, _views.RemoveRange(_views.Keys.Where(id => !_byPath.ContainsKey(id))));
    }

    /// <summary>True when <paramref name="topology"/> gives the path a session (as <see cref="ApplyTopology"/> decides).</summary>
    private static bool HasSession(TopologySnapshot topology, string pathId) =>
        topology.PathsById.TryGetValue(pathId, out var path) && path.Bfd is not null && topology.LinksById.ContainsKey(path.LinkId);

    private void Open(Session session, long now)
    {
        var local = IPAddress.Parse(session.Link.SourceAddress!);
        var peer = IPAddress.Parse(session.Settings.Peer);
        var multihop = session.Settings.Multihop;
        session.Peer = BfdAddress.From(peer);
        session.Local = BfdAddress.From(local);
        session.Error = null;

        var listener = AcquireListener(local, multihop, session.Link.Interface, out var error);
        var sender = listener is null ? null : BfdSender.TryOpen(local, new IPEndPoint(peer, multihop ? BfdPorts.Multihop : BfdPorts.SingleHop), session.Link.Interface, out error);
        if (listener is null || sender is null)
        {
            if (listener is not null)
            {
                ReleaseListener(listener);
            }

            session.Error = error;
            session.OpenedAt = null;
            session.RetryAt = now + (long)(RetryInterval.TotalSeconds * _time.TimestampFrequency);
            var pathId = session.PathId;
            Defer(() => LogOpenFailed(_logger, pathId, error ?? "unknown error", RetryInterval.TotalSeconds));
            RefreshView(session, force: true);
            Schedule(session);
            return;
        }

        session.Listener = listener;
        session.Sender = sender;
        session.Counts = false;
        uint discriminator;
        do
        {
            discriminator = (uint)_random.NextInt64(1, 1L << 32);
        }
        while (_byDiscriminator.ContainsKey(discriminator));

        session.Core = new BfdSessionState(CoreSettings(session.Settings), discriminator, _time, _random, now);
        session.OpenedAt = _time.GetUtcNow() - _time.GetElapsedTime(now);
        _byDiscriminator[discriminator] = session;
        _byAddress[(session.Peer, session.Local, multihop)] = session;
        if (session.Settings.AdminDown || _adminOverrides.GetValueOrDefault(session.PathId))
        {
            session.Core.SetAdminDown(BfdDiagnostic.AdministrativelyDown, now);
        }

        var opened = session.PathId;
        var sourcePort = sender.SourcePort;
        Defer(() => LogOpened(_logger, opened, local, sourcePort, peer, multihop ? BfdPorts.Multihop : BfdPorts.SingleHop, discriminator));
        RefreshView(session, force: true);
        Schedule(session);
    }

    private void Reconfigure(Session session, BfdPathSettings settings, long now)
    {
        var old = session.Settings;
        session.Settings = settings;
        if (session.Core is not { } core)
        {
            RefreshView(session, force: true);
            return;
        }

        if (old with { AdminDown = settings.AdminDown } != settings)
        {
            core.Reconfigure(CoreSettings(settings));
        }

        ApplyAdminState(session, now);
        RefreshView(session, force: true);
        Schedule(session);
    }

    private void ApplyAdminOverride(string pathId, bool adminDown, long now)
    {
        if (!_byPath.ContainsKey(pathId) && !HasSession(_topology.Current, pathId))
        {
            return; // the path lost its session after the command was accepted: nothing to hold
        }

        _adminOverrides[pathId] = adminDown;
        if (_byPath.TryGetValue(pathId, out var session) && session.Core is not null)
        {
            ApplyAdminState(session, now);
            RefreshView(session, force: true);
            Schedule(session);
        }
    }

    private void ApplyAdminState(Session session, long now)
    {
        var core = session.Core!;
        var down = session.Settings.AdminDown || _adminOverrides.GetValueOrDefault(session.PathId);
        var change = down switch
        {
            true when core.SessionState != BfdState.AdminDown => core.SetAdminDown(BfdDiagnostic.AdministrativelyDown, now),
            false when core.SessionState == BfdState.AdminDown => core.ClearAdminDown(now),
            _ => null,
        };
        if (change is { } c)
        {
            Publish(session, c);
            if (down)
            {
                Transmit(session, now); // tell the peer at once
            }
        }
    }

    /// <summary>Removes a session; with <paramref name="sayGoodbye"/>, first sends one AdminDown packet so the peer does not count it as a failure.</summary>
    private void CloseSession(Session session, long now, bool sayGoodbye)
    {
        if (sayGoodbye && session.Core is { } core && session.Sender is not null && core.SessionState != BfdState.AdminDown)
        {
            core.SetAdminDown(BfdDiagnostic.AdministrativelyDown, now);
            Transmit(session, now);
        }

        session.Closed = true;
        if (session.Core is { } c)
        {
            _byDiscriminator.Remove(c.LocalDiscr);
            _byAddress.Remove((session.Peer, session.Local, session.Settings.Multihop));
        }

        if (session.Sender is { } sender)
        {
            Retire(sender);
        }

        if (session.Listener is not null)
        {
            ReleaseListener(session.Listener);
        }

        _byPath.Remove(session.PathId);
        var closed = session.PathId;
        Defer(() => LogClosed(_logger, closed));
    }

    private void OnDue(Session session, long now)
    {
        if (session.Core is not { } core)
        {
            Open(session, now); // the retry of a session whose socket could not be opened
            return;
        }

        var result = core.OnTimer(now);
        if (result.StateChange is { } change)
        {
            Publish(session, change);
        }

        if (result.TransmitDue)
        {
            Transmit(session, now);
        }

        RefreshView(session, force: false);
        Schedule(session);
    }

    private void OnPacket(in BfdInbound inbound)
    {
        var datagram = inbound.Packet;
        var drop = BfdReception.Check(datagram, out var packet);
        if (drop != BfdDropReason.None)
        {
            Dropped(null, drop, inbound);
            return;
        }

        var session = packet.YourDiscriminator != 0
            ? _byDiscriminator.GetValueOrDefault(packet.YourDiscriminator)
            : _byAddress.GetValueOrDefault((inbound.Peer, inbound.Local, inbound.Multihop));
        if (session is not null && (session.Peer != inbound.Peer || session.Settings.Multihop != inbound.Multihop))
        {
            // A discriminator of ours, but from another peer or port: not this session's packet.
            _metrics.Dropped("wrong_source");
            LogDropped(_logger, "wrong_source", inbound.Peer, inbound.Local);
            return;
        }

        drop = BfdReception.CheckSession(packet, session?.Core is not null, session?.Core?.AuthType ?? BfdAuthType.None);
        if (drop != BfdDropReason.None)
        {
            Dropped(session, drop, inbound);
            return;
        }

        // RFC 5881 §5: single hop accepts TTL 255 only (a packet from further away is forged);
        // RFC 5883 §2: multihop, at least the configured minimum.
        if (session!.Settings.Multihop ? inbound.Ttl < session.Settings.MinTtl : inbound.Ttl != BfdPorts.SendTtl)
        {
            session.Counters.OnDropped(authentication: false);
            _metrics.Dropped("ttl");
            LogDropped(_logger, "ttl", inbound.Peer, inbound.Local);
            return;
        }

        // A packet that arrived after the Detection Time had run out (read late, after a stall)
        // does not undo the expiry: the session went down at its deadline, then hears the packet.
        if (session.Core!.DetectionDeadline < inbound.ReceivedAt && session.Core.OnTimer(inbound.ReceivedAt).StateChange is { } expired)
        {
            Publish(session, expired);
        }

        var result = session.Core.OnPacketReceived(datagram, packet, inbound.ReceivedAt);
        if (result.Accepted)
        {
            session.Counters.OnReceived();
            _metrics.Received();
        }
        else
        {
            Dropped(session, result.Drop, inbound);
        }

        if (result.StateChange is { } change)
        {
            Publish(session, change);
        }

        if (result.TransmitFinal)
        {
            Transmit(session, _time.GetTimestamp());
        }

        RefreshView(session, force: false);
        Schedule(session);
    }

    private void Dropped(Session? session, BfdDropReason reason, in BfdInbound inbound)
    {
        session?.Counters.OnDropped(authentication: reason == BfdDropReason.AuthFailed);
        var name = BfdNames.DropReason(reason);
        _metrics.Dropped(name);
        LogDropped(_logger, name, inbound.Peer, inbound.Local);
    }

    /// <summary>Queues the session at its next deadline when that moved (earlier entries are skipped when they come up).</summary>
    private void Schedule(Session session)
    {
        var next = session.Core is { } core ? core.NextDeadline : session.RetryAt;
        if (next is { } at && at != session.ScheduledAt && !session.Closed)
        {
            session.ScheduledAt = at;
            _due.Enqueue(session, at);
        }
    }

    /// <summary>Publishes a new view when something a reader cares about changed (or when forced).</summary>
    private BfdSessionView RefreshView(Session session, bool force)
    {
        var snapshot = session.Core?.ToSnapshotIfChanged(session.View?.State);
        if (!force && snapshot is null && session.View is { } current)
        {
            return current;
        }

        var view = new BfdSessionView(session.PathId, session.Settings, session.Link.SourceAddress, session.Sender?.SourcePort ?? 0,
            snapshot ?? session.Core?.ToSnapshot(), session.Error, _adminOverrides.GetValueOrDefault(session.PathId),
            session.LastChange, session.LastChangeReason, session.Counters, session.Counts, session.OpenedAt);
        session.View = view;
        if (!session.Closed)
        {
            Volatile.Write(ref _views, _views.SetItem(session.PathId, view));
        }

        return view;
    }

    private BfdListener? AcquireListener(IPAddress local, bool multihop, string? device, out string? error)
    {
        return _listeners.TryAcquire((BfdAddress.From(local), multihop), _ => true, Open, out var listener, out error) ? listener : null;

        BfdListener? Open((BfdAddress, bool) key, int index, out string? failure) => StartListener(local, multihop, device, out failure);
    }

    private void ReleaseListener(BfdListener listener)
    {
        _ = _listeners.ReleaseAsync(listener).AsTask();
        if (listener.IsDisposed)
        {
            _listenersById.Remove(listener.Id);
        }
    }

    private static BfdSessionSettings CoreSettings(BfdPathSettings s) => BfdSessionSettings.FromMilliseconds(
        s.DesiredMinTxMs, s.RequiredMinRxMs, s.DetectMultiplier, s.Passive,
        s.Auth is { } a ? BfdAuthenticator.Create((BfdAuthType)a.Type, (byte)a.KeyId, Encoding.UTF8.GetBytes(a.Secret)) : null);

    private sealed class Session(string pathId, BfdPathSettings settings, WanLink link)
    {
        public string PathId { get; } = pathId;

        public BfdPathSettings Settings { get; set; } = settings;

        public WanLink Link { get; } = link;

        public BfdAddress Peer { get; set; }

        public BfdAddress Local { get; set; }

        public BfdSessionState? Core { get; set; }

        public BfdSender? Sender { get; set; }

        public BfdListener? Listener { get; set; }

        public string? Error { get; set; }

        public long? RetryAt { get; set; }

        public long ScheduledAt { get; set; } = long.MaxValue;

        public bool Closed { get; set; }

        public BfdSessionView? View { get; set; }

        public DateTimeOffset? LastChange { get; set; }

        /// <summary>When the sockets opened and the state machine started (UTC); null until then.</summary>
        public DateTimeOffset? OpenedAt { get; set; }

        public BfdStateChangeReason? LastChangeReason { get; set; }

        public BfdSessionCounters Counters { get; } = new();

        /// <summary>The session's state is evidence about the path (<see cref="BfdEvidence"/>).</summary>
        public bool Counts { get; set; }

        /// <summary>Same sockets: peer, hop mode, local address and interface unchanged.</summary>
        public bool SameEndpoints(BfdPathSettings settings, WanLink link) =>
            settings.Peer == Settings.Peer && settings.Multihop == Settings.Multihop &&
            link.SourceAddress == Link.SourceAddress && link.Interface == Link.Interface;
    }
}
