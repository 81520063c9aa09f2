using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Bfd;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>
/// Two sessions wired back to back on one fake clock: what a runtime loop would do for each
/// (arm the timer at <see cref="BfdSessionState.NextDeadline"/>, run <see cref="BfdSessionState.OnTimer"/>,
/// send when due, answer Polls at once), with a link that can be cut in either direction.
/// Delivery is instantaneous.
/// </summary>
internal sealed class BfdSessionPair
{
    public BfdSessionPair(BfdSessionSettings a, BfdSessionSettings b, int seed = 1)
    {
        A = new BfdSessionState(a, 0xA, Time, new Random(seed), Time.GetTimestamp());
        B = new BfdSessionState(b, 0xB, Time, new Random(seed + 1), Time.GetTimestamp());
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));

    public BfdSessionState A { get; }

    public BfdSessionState B { get; }

    public bool AToB { get; set; } = true;

    public bool BToA { get; set; } = true;

    public List<(char Session, BfdStateChange Change)> Changes { get; } = [];

    public Dictionary<BfdDropReason, int> Drops { get; } = [];

    public int Sent { get; private set; }

    public void Run(TimeSpan duration)
    {
        var end = Time.GetTimestamp() + duration.Ticks;
        while (true)
        {
            var next = Math.Min(A.NextDeadline ?? long.MaxValue, B.NextDeadline ?? long.MaxValue);
            if (next > end)
            {
                Time.Advance(TimeSpan.FromTicks(end - Time.GetTimestamp()));
                return;
            }

            if (next > Time.GetTimestamp())
            {
                Time.Advance(TimeSpan.FromTicks(next - Time.GetTimestamp()));
            }

            Step(A, 'A', B, AToB);
            Step(B, 'B', A, BToA);
        }
    }

    private void Step(BfdSessionState from, char name, BfdSessionState to, bool linkUp)
    {
        var now = Time.GetTimestamp();
        var result = from.OnTimer(now);
        Record(name, result.StateChange);
        if (result.TransmitDue)
        {
            Transmit(from, name, to, linkUp);
        }
    }

    private void Transmit(BfdSessionState from, char name, BfdSessionState to, bool linkUp)
    {
        var now = Time.GetTimestamp();
        Span<byte> buffer = stackalloc byte[64];
        Assert.True(from.TryBuildPacket(buffer, now, out var written));
        Sent++;
        if (!linkUp)
        {
            return;
        }

        var datagram = buffer[..written];
        var drop = BfdReception.Check(datagram, out var packet);
        if (drop == BfdDropReason.None)
        {
            var found = packet.YourDiscriminator == 0 || packet.YourDiscriminator == to.LocalDiscr;
            drop = BfdReception.CheckSession(packet, found, to.AuthType);
        }

        if (drop == BfdDropReason.None)
        {
            var result = to.OnPacketReceived(datagram, packet, now);
            drop = result.Drop;
            Record(name == 'A' ? 'B' : 'A', result.StateChange);
            if (result.TransmitFinal)
            {
                Transmit(to, name == 'A' ? 'B' : 'A', from, name == 'A' ? BToA : AToB);
            }
        }

        if (drop != BfdDropReason.None)
        {
            Drops[drop] = Drops.GetValueOrDefault(drop) + 1;
        }
    }

    private void Record(char name, BfdStateChange? change)
    {
        if (change is { } c)
        {
            Changes.Add((name, c));
        }
    }
}
