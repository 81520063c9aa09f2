using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd.Wire;

/// <summary>Random and bit-flipped datagrams through every reader and a live session: no exception.</summary>
public class BfdFuzzTests
{
    private const int Iterations = 100_000;

    [Fact]
    public void Readers_RandomBuffers_NeverThrow()
    {
        var random = new Random(5880);
        var buffer = new byte[80];
        var accepted = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var span = buffer.AsSpan(0, random.Next(0, buffer.Length + 1));
            random.NextBytes(span);
            if (random.Next(4) == 0 && span.Length >= 24)
            {
                // Bias towards packets that get past the first checks.
                span[0] = (byte)(0x20 | (span[0] & 0x1F));
                span[3] = (byte)Math.Min(span.Length, 24 + (span[3] % 32));
            }

            accepted += BfdControlPacket.TryRead(span, out _) ? 1 : 0;
            _ = BfdAuthSectionHeader.TryRead(span, out _);
            _ = BfdAuthSimplePassword.TryRead(span, out _, out _);
            _ = BfdAuthKeyed.TryRead(span, out _, out _);
            _ = BfdReception.Check(span, out var packet);
            _ = BfdReception.CheckSession(packet, random.Next(2) == 0, (BfdAuthType)random.Next(7));
            Assert.Equal(span.Length >= 24, BfdControlPacket.TryRead(span, out _));
        }

        Assert.True(accepted > 0);
    }

    [Theory]
    [InlineData(BfdAuthType.None)]
    [InlineData(BfdAuthType.SimplePassword)]
    [InlineData(BfdAuthType.KeyedMd5)]
    [InlineData(BfdAuthType.MeticulousKeyedSha1)]
    public void Session_BitFlippedPackets_NeverThrow(BfdAuthType type)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var authenticator = type == BfdAuthType.None ? null : BfdAuthenticator.Create(type, 1, "fuzz"u8);
        var settings = new BfdSessionSettings(300_000, 300_000, 3, Authenticator: authenticator);
        var peer = new BfdSessionState(settings, 0xB, time, new Random(1), time.GetTimestamp());
        var local = new BfdSessionState(settings, BfdPackets.LocalDiscr, time, new Random(2), time.GetTimestamp());
        var random = new Random(4656);
        var valid = new byte[64];
        var work = new byte[64];
        var outgoing = new byte[64];
        var accepted = 0;
        for (var i = 0; i < Iterations / 4; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 400)));
            var now = time.GetTimestamp();
            Assert.True(peer.TryBuildPacket(valid, now, out var length));
            var span = work.AsSpan(0, random.Next(0, 65));
            span.Clear();
            valid.AsSpan(0, Math.Min(length, span.Length)).CopyTo(span);
            for (var flips = random.Next(0, 4); flips > 0 && span.Length > 0; flips--)
            {
                var bit = random.Next(span.Length * 8);
                span[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            if (BfdReception.Check(span, out var packet) == BfdDropReason.None)
            {
                accepted += local.OnPacketReceived(span, packet, now).Accepted ? 1 : 0;
            }

            _ = local.OnTimer(now);
            Assert.True(local.TryBuildPacket(outgoing, now, out _));
            if (random.Next(50) == 0)
            {
                _ = local.SetAdminDown(BfdDiagnostic.AdministrativelyDown, now);
            }
            else if (random.Next(50) == 0)
            {
                _ = local.ClearAdminDown(now);
            }
        }

        Assert.True(accepted > 0);
    }
}
