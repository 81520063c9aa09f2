using System.Buffers.Binary;
using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>Authentication inside the session (RFC 5880 §6.7, bfd.*AuthSeq* of §6.8.1).</summary>
public sealed partial class BfdSessionStateTests
{
    private static readonly BfdAuthenticator s_meticulous = BfdAuthenticator.Create(BfdAuthType.MeticulousKeyedSha1, 1, "k"u8);
    private static readonly BfdAuthenticator s_keyed = BfdAuthenticator.Create(BfdAuthType.KeyedMd5, 1, "k"u8);

    [Fact]
    public void Auth_ValidPacket_SetsRcvAuthSeqAndAuthSeqKnown()
    {
        var h = Authenticated(s_meticulous);

        var result = h.Receive(Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_meticulous, 1000));

        Assert.True(result.Accepted);
        Assert.Equal(BfdState.Init, h.Session.SessionState);
        Assert.True(h.Session.AuthSeqKnown);
        Assert.Equal(1000u, h.Session.RcvAuthSeq);
    }

    [Fact]
    public void Auth_ReplayedPacket_Meticulous_Dropped()
    {
        var h = Authenticated(s_meticulous);
        var packet = Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_meticulous, 1000);
        h.Receive(packet);

        var replay = h.Receive(packet);

        Assert.Equal((BfdDropReason.AuthFailed, BfdAuthResult.SequenceOutOfWindow), (replay.Drop, replay.Auth));
    }

    [Fact]
    public void Auth_ReplayedPacket_Keyed_SameSequenceAccepted_OlderDropped()
    {
        var h = Authenticated(s_keyed);
        var old = Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_keyed, 999);
        h.Receive(Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_keyed, 1000));

        Assert.True(h.Receive(Signed(BfdPackets.FromPeer(BfdState.Down), s_keyed, 1000)).Accepted);
        Assert.Equal(BfdAuthResult.SequenceOutOfWindow, h.Session.OnPacketReceived(old, Read(old), h.Now).Auth);
    }

    [Fact]
    public void Auth_WrongKey_DroppedAndNothingChanges()
    {
        var h = Authenticated(s_meticulous);
        h.Receive(Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_meticulous, 1000));
        var forged = Signed(BfdPackets.FromPeer(BfdState.Up, my: 0x9999), BfdAuthenticator.Create(BfdAuthType.MeticulousKeyedSha1, 1, "x"u8), 1001);

        var result = h.Session.OnPacketReceived(forged, Read(forged), h.Now);

        Assert.Equal((BfdDropReason.AuthFailed, BfdAuthResult.KeyMismatch), (result.Drop, result.Auth));
        Assert.Equal((BfdState.Init, 1000u, BfdPackets.PeerDiscr), (h.Session.SessionState, h.Session.RcvAuthSeq, h.Session.RemoteDiscr));
    }

    [Fact]
    public void Auth_UnauthenticatedPacket_AuthMissingButConfigured()
    {
        var h = Authenticated(s_keyed);

        Assert.Equal(BfdDropReason.AuthMissingButConfigured, h.Receive(BfdPackets.FromPeer(BfdState.Down, your: 0)).Drop);
        Assert.Equal(0u, h.Session.RemoteDiscr);
    }

    [Fact]
    public void Auth_AuthSeqKnown_ClearedAfterTwiceDetectionTimeOfSilence()
    {
        var h = Authenticated(s_meticulous);
        h.Receive(Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_meticulous, 1000));
        var detection = TimeSpan.FromTicks(h.Session.DetectionDeadline!.Value - h.Now);
        Assert.Equal(h.Now + (2 * detection.Ticks), h.Session.AuthSeqResetDeadline);
        var restarted = Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_meticulous, 5);

        h.Advance(detection);
        h.Tick();
        Assert.True(h.Session.AuthSeqKnown);
        Assert.Equal(BfdAuthResult.SequenceOutOfWindow, h.Session.OnPacketReceived(restarted, Read(restarted), h.Now).Auth);

        h.Advance(detection);
        h.Tick();
        Assert.False(h.Session.AuthSeqKnown);
        Assert.True(h.Receive(restarted).Accepted); // the restarted peer resynchronises
        Assert.Equal(5u, h.Session.RcvAuthSeq);
    }

    [Fact]
    public void Auth_Transmit_MeticulousSequenceGrowsEveryPacket()
    {
        var h = Authenticated(s_meticulous);
        var first = h.Session.XmitAuthSeq;

        var sequences = Enumerable.Range(0, 4).Select(_ => Sequence(h.SendBytes())).ToList();

        Assert.Equal([first, first + 1, first + 2, first + 3], sequences);
    }

    [Fact]
    public void Auth_Transmit_KeyedSequenceGrowsOnlyWhenContentsChange()
    {
        var h = Authenticated(s_keyed);

        var a = Sequence(h.SendBytes());
        var b = Sequence(h.SendBytes());
        h.Receive(Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_keyed, 1)); // → Init
        var c = Sequence(h.SendBytes());
        var d = Sequence(h.SendBytes());

        Assert.Equal(a, b);
        Assert.Equal(a + 1, c);
        Assert.Equal(c, d);
    }

    [Fact]
    public void Auth_Transmit_SignedPacketVerifiesWithPeerKey()
    {
        var h = Authenticated(s_keyed);

        var bytes = h.SendBytes();

        Assert.Equal(48, bytes.Length);
        Assert.Equal(BfdDropReason.None, BfdReception.Check(bytes, out var packet));
        Assert.True(packet.AuthenticationPresent);
        Assert.Equal(BfdAuthResult.Accepted, s_keyed.Verify(bytes, false, 0, out _));
    }

    [Fact]
    public void Auth_ReconfigureToOtherType_ForgetsSequence()
    {
        var h = Authenticated(s_meticulous);
        h.Receive(Signed(BfdPackets.FromPeer(BfdState.Down, your: 0), s_meticulous, 1000));

        h.Session.Reconfigure(BfdSessionHarness.Default with { Authenticator = s_keyed });

        Assert.Equal(BfdAuthType.KeyedMd5, h.Session.AuthType);
        Assert.False(h.Session.AuthSeqKnown);
    }

    private static BfdSessionHarness Authenticated(BfdAuthenticator authenticator) =>
        new(BfdSessionHarness.Default with { Authenticator = authenticator });

    private static byte[] Signed(BfdControlPacket packet, BfdAuthenticator authenticator, uint sequence)
    {
        var bytes = new byte[BfdControlPacket.Size + authenticator.SectionLength];
        (packet with { Bits = packet.Bits | BfdControlBits.AuthenticationPresent, Length = (byte)bytes.Length }).TryWrite(bytes, out _);
        Assert.True(authenticator.TrySign(bytes, sequence));
        return bytes;
    }

    private static BfdControlPacket Read(byte[] bytes)
    {
        Assert.Equal(BfdDropReason.None, BfdReception.Check(bytes, out var packet));
        return packet;
    }

    private static uint Sequence(byte[] bytes) => BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(28));
}
