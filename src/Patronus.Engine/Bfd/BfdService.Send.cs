using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Patronus.Engine.Bfd.Transport;
using Patronus.Engine.Net;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdService
{
    /// <summary>
    /// Environment variable that turns the batched sends off (<c>0</c>, <c>false</c> or <c>off</c>):
    /// one <c>send</c> per packet, as before io_uring (an escape hatch for a kernel whose io_uring
    /// misbehaves, and the B of an A/B measurement).
    /// </summary>
    public const string IoUringVariable = "PATRONUS_BFD_IO_URING";

    // Packets per io_uring_enter: a pass at 1,000 sessions of 50 ms sends ~20; after a stall every
    // session is due at once and the pass submits in batches of 256 (4 system calls for 1,000).
    private const int SendBatch = 256;

    // Slot size of the batch: a control packet with the longest Authentication Section is 52 octets.
    private const int MaxControlPacket = 64;

    private const int ConnectionRefused = 111; // ECONNREFUSED

    // Senders of sessions closed in this pass: closed after the flush that sends their goodbyes
    // (a queued packet names the socket by descriptor number, which a close frees for reuse).
    private readonly List<BfdSender> _retiredSenders = [];

    private static bool IoUringAllowed() =>
        Environment.GetEnvironmentVariable(IoUringVariable)?.Trim().ToLowerInvariant() is not ("0" or "false" or "off");

    private IoUringSendBatch<Session>? CreateSendBatch(bool useIoUring) =>
        LinuxEpoll.IsSupported ? IoUringSendBatch<Session>.Create(SendBatch, MaxControlPacket, OnSendCompleted, useIoUring) : null;

    private void LogSendMode()
    {
        if (_sends is { UsesIoUring: true })
        {
            LogSendsBatched(_logger, _sends.Capacity);
        }
        else if (_sends is { FallbackReason: { } reason })
        {
            LogSendsPerPacket(_logger, reason);
        }
    }

    /// <summary>
    /// Builds the session's next packet and sends it: queued for the pass's single submit when its
    /// socket is connected (<see cref="FlushSends"/> sends it before the loop waits), else at once.
    /// </summary>
    private void Transmit(Session session, long now)
    {
        if (session.Sender is not { } sender || !session.Core!.TryBuildPacket(_transmitBuffer, now, out var length))
        {
            return;
        }

        var packet = _transmitBuffer.AsSpan(0, length);
        if (sender.Connected && _sends is { } sends)
        {
            sends.Send(sender.Handle, packet, session);
            return;
        }

        var sent = sender.TrySend(packet, out var error);
        Account(session, sender, sent, error);
    }

    /// <summary>Submits every packet the pass queued (one system call) and accounts for each; then closes the sockets of sessions closed in the pass.</summary>
    private void FlushSends()
    {
        _sends?.Flush();
        if (_retiredSenders.Count > 0)
        {
            foreach (var sender in _retiredSenders)
            {
                sender.Dispose();
            }

            _retiredSenders.Clear();
        }
    }

    /// <summary>Closes a session's socket once its queued packets are out (at the pass's flush).</summary>
    private void Retire(BfdSender sender)
    {
        if (_sends is { UsesIoUring: true })
        {
            _retiredSenders.Add(sender);
        }
        else
        {
            sender.Dispose();
        }
    }

    private void OnSendCompleted(Session session, int errno, ReadOnlySpan<byte> packet)
    {
        if (session.Sender is not { } sender)
        {
            return;
        }

        if (errno == ConnectionRefused)
        {
            // An ICMP port unreachable for an earlier packet, reported on this send, which then did
            // not go (a connected socket): the peer is not listening yet or any more. Send it again
            // now, as the per-packet path does (BfdSender.TrySend).
            var sent = sender.TrySend(packet, out var error);
            Account(session, sender, sent, error);
            return;
        }

        Account(session, sender, errno == 0, LinuxSend.ToSocketError(errno));
    }

    private void Account(Session session, BfdSender sender, bool sent, SocketError error)
    {
        if (sent)
        {
            session.Counters.OnSent();
            _metrics.Sent();
        }
        else
        {
            _metrics.SendFailed();
            LogSendFailed(_logger, session.PathId, sender.Peer, error);
        }
    }

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "BFD sends are batched: one io_uring_enter per loop pass (up to {Capacity} packets)")]
    private static partial void LogSendsBatched(ILogger logger, int capacity);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "BFD sends one system call per packet: io_uring not used ({Reason})")]
    private static partial void LogSendsPerPacket(ILogger logger, string reason);
}
